"""CnbBuildpack.load: what a buildpack directory must hold, and one clear line (exit 2) when it does not."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.errors import UsageError
from builder.lifecycle.cnb import CnbBuildpack
from builder.lifecycle.pipeline import resolve_order

from .support import write_buildpack


def test_load_reads_the_descriptor_and_escapes_slashes_in_the_mount_path(tmp_path: Path) -> None:
    bp = CnbBuildpack.load(write_buildpack(tmp_path / "bp", "example/greet", version="1.2.3", api="0.9"))
    assert (bp.id, bp.version, bp.name, bp.api) == ("example/greet", "1.2.3", "Test example/greet", (0, 9))
    assert bp.target == "/cnb/buildpacks/example_greet/1.2.3"
    assert bp.directory == (tmp_path / "bp").resolve()


@pytest.mark.parametrize("api", ["0.7", "0.8", "0.10"])
def test_apis_0_7_to_0_10_are_accepted(tmp_path: Path, api: str) -> None:
    assert CnbBuildpack.load(write_buildpack(tmp_path, "a", api=api)).api == tuple(int(p) for p in api.split("."))


@pytest.mark.parametrize(("api", "words"), [("0.6", "API 0.6; dockless runs API 0.7 to 0.10"),
                                            ("0.11", "API 0.11"), ("latest", "not a Buildpack API version")])
def test_other_apis_are_refused_by_name(tmp_path: Path, api: str, words: str) -> None:
    with pytest.raises(UsageError) as caught:
        CnbBuildpack.load(write_buildpack(tmp_path, "a", api=api))
    assert words in caught.value.message and caught.value.exit_code == 2


def test_an_order_buildpack_is_refused(tmp_path: Path) -> None:
    root = write_buildpack(tmp_path, "meta", extra='\n[[order]]\n[[order.group]]\nid = "x"\nversion = "1"\n')
    with pytest.raises(UsageError, match="order \\(meta-\\)buildpack") as caught:
        CnbBuildpack.load(root)
    assert "--buildpack" in caught.value.hint


def test_missing_bin_build_is_refused(tmp_path: Path) -> None:
    root = write_buildpack(tmp_path, "a")
    (root / "bin" / "build").unlink()
    with pytest.raises(UsageError, match="has no bin/build"):
        CnbBuildpack.load(root)


def test_a_crlf_script_is_refused_with_the_fix(tmp_path: Path) -> None:
    root = write_buildpack(tmp_path, "a", detect="#!/bin/sh\r\nexit 0\r\n")
    with pytest.raises(UsageError, match="Windows line endings") as caught:
        CnbBuildpack.load(root)
    assert "sed -i" in caught.value.hint
    assert "\r" not in caught.value.message


def test_a_script_without_a_shebang_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="neither a '#!' script nor an ELF binary"):
        CnbBuildpack.load(write_buildpack(tmp_path, "a", build="echo hi\n"))


def test_malformed_or_missing_buildpack_toml_names_the_file(tmp_path: Path) -> None:
    root = write_buildpack(tmp_path, "a")
    (root / "buildpack.toml").write_text('api = "0.10"\n[buildpack\n')
    with pytest.raises(UsageError, match="buildpack.toml is not valid TOML"):
        CnbBuildpack.load(root)
    (root / "buildpack.toml").write_text('api = "0.10"\n[buildpack]\nname = "x"\n')
    with pytest.raises(UsageError, match="has no \\[buildpack\\] id and version"):
        CnbBuildpack.load(root)
    with pytest.raises(UsageError, match="does not exist"):
        CnbBuildpack.load(tmp_path / "empty")


def test_buildpack_refs_resolve_to_builtins_or_directories(tmp_path: Path) -> None:
    root = write_buildpack(tmp_path / "bp", "example/greet")
    [[(member_a, a), (member_b, b)]] = resolve_order(["nodejs", str(root)], {})
    assert (member_a.id, member_b.id) == ("nodejs", "example/greet")
    assert isinstance(b, CnbBuildpack) and not member_b.optional
    with pytest.raises(UsageError, match="neither a built-in buildpack nor a directory"):
        resolve_order(["/no/such"], {})
