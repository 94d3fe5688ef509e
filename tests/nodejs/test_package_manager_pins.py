"""Which package manager version runs: corepack's packageManager hash, engines.<tool>, the npm Node ships with.

Real npm registry. The pins below are facts about published tarballs:
pnpm-9.15.0.tgz has the sha512 that `corepack use pnpm@9.15.0` writes
(equal to the registry's dist.integrity) and the sha256 below; they never
change, since npm forbids republishing a version.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from builder.errors import BuildError, IntegrityError, UsageError
from builder.lifecycle.layercache import DirLayerCache
from buildpacks.nodejs import NodeBuildpack
from buildpacks.nodejs.pins import Pin, parse_pin, verify
from buildpacks.nodejs.registry import NpmRegistry
from detectors.nodejs import NodeDetector

from .building import Built, build_app, make_app

PNPM_VERSION = "9.15.0"
PNPM_SHA512 = ("76e2379760a4328ec4415815bcd6628dee727af3779aaa4c914e3944156c4299"
               "921a89f976381ee107d41f12cfa4b66681ca9c718f0668fa0831ed4c6d8ba56c")
PNPM_SHA256 = "09a8fe31a34fda706354680619f4002f4ccef6dadff93240d24ef6c831f0fd28"
PNPM_SHA1 = "8bfdb6d72b4d5fdf87d21d27f2bfbe2b21dd2629"
WRONG_SHA512 = "0" * 128


def flip(hexdigest: str) -> str:
    return hexdigest[:-1] + ("0" if hexdigest[-1] != "0" else "1")


@pytest.fixture(scope="module")
def pnpm_manifest(npm_registry: NpmRegistry) -> dict[str, Any]:
    manifest: dict[str, Any] = npm_registry.packument("pnpm")["versions"][PNPM_VERSION]
    return manifest


# ---- parsing ---------------------------------------------------------------------------------------

def test_the_detector_keeps_the_hash(tmp_path: Path) -> None:
    make_app(tmp_path, {"package.json": {"packageManager": f"pnpm@{PNPM_VERSION}+sha512.{PNPM_SHA512}"}})
    requires = NodeDetector().detect(tmp_path, {}).metadata("node")
    assert requires["package_manager_version"] == PNPM_VERSION
    assert requires["package_manager_hash"] == f"sha512.{PNPM_SHA512}"


@pytest.mark.parametrize("field", ["pnpm@9.15.0+sha512", "pnpm@9.15.0+md5.abc", "pnpm@9.15.0+sha512.xyz"])
def test_an_unreadable_hash_is_a_usage_error(tmp_path: Path, field: str) -> None:
    make_app(tmp_path, {"package.json": {"packageManager": field}})
    with pytest.raises(UsageError, match="has a hash dockless cannot read"):
        NodeDetector().detect(tmp_path, {})


def test_parse_pin_checks_the_length() -> None:
    assert parse_pin(f"sha256.{PNPM_SHA256.upper()}", "x") == Pin("sha256", PNPM_SHA256)
    with pytest.raises(UsageError):
        parse_pin("sha256.abcd", "x")


# ---- verification against the real registry --------------------------------------------------------

@pytest.mark.parametrize("pin", [Pin("sha512", PNPM_SHA512), Pin("sha256", PNPM_SHA256), Pin("sha1", PNPM_SHA1)])
def test_the_right_hash_passes(npm_registry: NpmRegistry, pnpm_manifest: dict[str, Any], pin: Pin) -> None:
    verify(npm_registry, pnpm_manifest, pin, f"pnpm {PNPM_VERSION}")  # sha256: hashes the downloaded tarball


@pytest.mark.parametrize("pin", [Pin("sha512", WRONG_SHA512), Pin("sha512", flip(PNPM_SHA512)),
                                 Pin("sha256", flip(PNPM_SHA256)), Pin("sha1", flip(PNPM_SHA1))])
def test_a_wrong_hash_is_an_integrity_error(npm_registry: NpmRegistry, pnpm_manifest: dict[str, Any], pin: Pin) -> None:
    with pytest.raises(IntegrityError, match=f"does not match the {pin.algorithm} hash in package.json packageManager"):
        verify(npm_registry, pnpm_manifest, pin, f"pnpm {PNPM_VERSION}")


# ---- in a build ------------------------------------------------------------------------------------

def app_files(pin: str) -> dict[str, Any]:
    lock = ("lockfileVersion: '9.0'\n\nsettings:\n  autoInstallPeers: true\n  excludeLinksFromLockfile: false\n\n"
            "importers:\n\n  .:\n    dependencies:\n      ms:\n        specifier: 2.1.3\n        version: 2.1.3\n\n"
            "packages:\n\n  ms@2.1.3:\n    resolution: {integrity: sha512-6FlzubTLZG3J2a/NVCAleEhjzq5oxgHyaCU9yYXvcL"
            "svoVaHJq/s5xXI6/XXP6tz7R9xAOtHnSO/tXtF3WRTlA==}\n\nsnapshots:\n\n  ms@2.1.3: {}\n")
    return {"package.json": {"name": "pinned", "version": "1.0.0", "engines": {"node": "22"},
                             "packageManager": f"pnpm@{PNPM_VERSION}{pin}", "dependencies": {"ms": "2.1.3"}},
            "pnpm-lock.yaml": lock, "server.js": "console.log(require('ms')('1h'))\n"}


def test_a_build_with_a_wrong_hash_fails_before_installing(tmp_path: Path, buildpack: NodeBuildpack,
                                                          node_cache: DirLayerCache, downloads: Path) -> None:
    app = make_app(tmp_path / "wrong", app_files(f"+sha512.{flip(PNPM_SHA512)}"))
    built = Built()
    with pytest.raises(IntegrityError) as caught:
        build_app(app, buildpack, node_cache, downloads, built=built)
    assert caught.value.exit_code == 7
    assert not any(line.startswith("running ") for line in built.log)  # no package manager ran
    assert not (app / "node_modules").exists()


def test_a_build_with_the_right_hash_installs_with_that_pnpm(tmp_path: Path, buildpack: NodeBuildpack,
                                                            node_cache: DirLayerCache, downloads: Path) -> None:
    app = make_app(tmp_path / "right", app_files(f"+sha512.{PNPM_SHA512}"))
    built = build_app(app, buildpack, node_cache, downloads)
    assert f"pnpm: pnpm {PNPM_VERSION} (package.json packageManager)" in built.log
    assert (built.layer("node_modules") / "ms").exists()


# ---- the npm version -------------------------------------------------------------------------------

def npm_app(tmp_path: Path, name: str, **package: object) -> Path:
    return make_app(tmp_path / name, {"package.json": {"name": name, "version": "1.0.0",
                                                       "dependencies": {"ms": "2.1.3"}, **package},
                                      "server.js": "require('ms')\n"})


def test_npm_is_the_one_node_ships_with_unless_the_app_asks(tmp_path: Path, buildpack: NodeBuildpack,
                                                           node_cache: DirLayerCache, downloads: Path) -> None:
    """Node.js 24.3.0 shipped npm 11.4.2 (its CHANGELOG.md, and nodejs.org's index.json, say so)."""
    built = build_app(npm_app(tmp_path, "bundled", engines={"node": "24.3.0"}), buildpack, node_cache, downloads)
    assert "npm: npm 11.4.2 (the npm bundled with Node.js 24.3.0)" in built.log
    built = build_app(npm_app(tmp_path, "engines", engines={"node": "24.3.0", "npm": "~10.9.0"}),
                      buildpack, node_cache, downloads)
    assert any(line.startswith("npm: npm 10.9.") and "(package.json engines.npm)" in line for line in built.log)
    built = build_app(npm_app(tmp_path, "pinned", engines={"node": "24.3.0"}, packageManager="npm@11.5.1"),
                      buildpack, node_cache, downloads)
    assert "npm: npm 11.5.1 (package.json packageManager)" in built.log


def test_an_impossible_engines_npm_names_the_field(tmp_path: Path, buildpack: NodeBuildpack,
                                                  node_cache: DirLayerCache, downloads: Path) -> None:
    with pytest.raises(BuildError, match=r"no npm release matching package.json engines.npm 'npm@>=99'"):
        build_app(npm_app(tmp_path, "impossible", engines={"node": "24.3.0", "npm": ">=99"}),
                  buildpack, node_cache, downloads)


def test_detect_says_which_npm(tmp_path: Path) -> None:
    app = npm_app(tmp_path, "says", engines={"npm": "^10"})
    assert any("engines.npm" in r for r in NodeDetector().detect(app, {}).reasons)
    plain = npm_app(tmp_path, "plain")
    assert any("bundled with the chosen Node.js" in r for r in NodeDetector().detect(plain, {}).reasons)
    json.dumps(NodeDetector().detect(plain, {}).metadata("node"))  # all strings, JSON-able
