"""--platform is honoured for a single-platform image too, and inspect shows an index entry's own platform.

From the second fresh-user trial: `copy`/`inspect --platform linux/arm64` of a
single linux/amd64 image silently used the amd64 one, and `inspect
--platform linux/arm64` of an index showed `linux/arm64/v8` (its config's
spelling) where the index says `linux/arm64`. A single image that is not the
platform asked for is now the same NotFoundError (exit 12) an index without
that platform gives.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from builder.errors import NotFoundError
from builder.image.media import Platform, require_platform, same_platform
from tests.copy.images import OCI_INDEX, OCI_LAYER_GZIP, _image, _json, _put, _tag, layer_bytes, make_layout
from tests.copy.test_transports import run_main
from tests.e2e.cli import assert_clean_error


@pytest.mark.parametrize(("wanted", "actual", "same"), [
    ("linux/amd64", "linux/amd64", True),
    ("linux/arm64", "linux/amd64", False),
    ("linux/arm64", "linux/arm64/v8", True),
    ("linux/arm64/v8", "linux/arm64", True),  # containerd: arm64 means arm64/v8
    ("linux/arm/v7", "linux/arm", True),
    ("linux/arm/v6", "linux/arm/v7", False),
    ("windows/amd64", "linux/amd64", False),
])  # fmt: skip
def test_same_platform_normalises_default_variants(wanted: str, actual: str, same: bool) -> None:
    assert same_platform(Platform.parse(wanted), Platform.parse(actual)) is same


def test_require_platform_is_exit_12_with_the_images_platform_as_hint() -> None:
    with pytest.raises(NotFoundError) as caught:
        require_platform(Platform.parse("linux/amd64"), Platform.parse("linux/arm64"), "oci:out:v1")
    assert caught.value.exit_code == 12
    assert caught.value.message == "oci:out:v1 has no image for linux/arm64: it is a single linux/amd64 image, not an index"
    assert caught.value.hint == "drop --platform, or give --platform linux/amd64"
    require_platform(Platform.parse("linux/amd64"), Platform.parse("linux/amd64"), "x")


def test_copy_and_inspect_of_a_single_image_refuse_another_platform(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    layout, digest = make_layout(tmp_path / "src", {"hello": b"hello\n"})
    cache = ["--cache-dir", str(tmp_path / "c")]
    copy = run_main(["copy", f"oci:{layout}:v1", f"oci:{tmp_path}/arm", "--platform", "linux/arm64", *cache], capsys)
    assert_clean_error(copy, 12, "has no image for linux/arm64", "single linux/amd64 image")
    assert not (tmp_path / "arm").exists()
    archive = run_main(["copy", f"oci:{layout}:v1", f"docker-archive:{tmp_path}/a.tar", "--platform",
                        "linux/arm64", *cache], capsys)
    assert_clean_error(archive, 12, "has no image for linux/arm64")
    assert not (tmp_path / "a.tar").exists()
    inspect = run_main(["inspect", f"oci:{layout}:v1", "--platform", "linux/arm64", *cache], capsys)
    assert_clean_error(inspect, 12, "has no image for linux/arm64")
    # The matching platform, and no --platform at all, still work.
    same = run_main(["copy", f"oci:{layout}:v1", f"oci:{tmp_path}/amd", "--platform", "linux/amd64", *cache], capsys)
    assert same.code == 0 and same.stdout.strip().endswith(digest), same.stderr
    shown = run_main(["inspect", "--json", f"oci:{layout}:v1", *cache], capsys)
    assert json.loads(shown.stdout)["platform"] == "linux/amd64"


def test_inspect_shows_the_platform_the_index_entry_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    layout = tmp_path / "multi"
    layout.mkdir()
    blob, diff_id = layer_bytes({"hello": b"hello from arm64\n"})
    arm = _image(layout, "arm64", "v8", [({"mediaType": OCI_LAYER_GZIP, **_put(layout, blob)}, diff_id)])
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX,
             "manifests": [{**arm, "platform": {"architecture": "arm64", "os": "linux"}}]}
    _tag(layout, "multi", {"mediaType": OCI_INDEX, **_put(layout, _json(index))})
    run = run_main(["inspect", f"oci:{layout}:multi", "--platform", "linux/arm64",
                    "--cache-dir", str(tmp_path / "c")], capsys)
    assert run.code == 0, run.stderr
    assert "Platform:     linux/arm64\n" in run.stdout
    as_json = run_main(["inspect", "--json", f"oci:{layout}:multi", "--platform", "linux/arm64/v8",
                        "--cache-dir", str(tmp_path / "c")], capsys)
    assert json.loads(as_json.stdout)["platform"] == "linux/arm64" and json.loads(as_json.stdout)["digest"] == arm["digest"]


def test_build_refuses_a_run_image_of_another_platform_before_building(tmp_path: Path) -> None:
    """`build --run-image` of a single linux/arm64 image on a linux/amd64 build: exit 12, nothing written."""
    from tests.e2e.cli import dockless

    root = Path(__file__).resolve().parents[2]
    layout = tmp_path / "arm"
    layout.mkdir()
    blob, diff_id = layer_bytes({"hello": b"hello from arm64\n"})
    _tag(layout, "v1", _image(layout, "arm64", None, [({"mediaType": OCI_LAYER_GZIP, **_put(layout, blob)}, diff_id)]))
    run = dockless("build", str(root / "examples" / "static-site"), "--run-image", f"oci:{layout}:v1",
                   "--image", f"oci:{tmp_path}/out", "--platform", "linux/amd64", cache_dir=tmp_path / "c")
    assert_clean_error(run, 12, f"the run image oci:{layout}:v1 has no image for linux/amd64",
                       "single linux/arm64 image", "give a run image built for linux/amd64")
    assert not (tmp_path / "out").exists()
