"""References that name no medium dockless has, or the wrong one for the command, are refused in one line.

From the second fresh-user trial: skopeo's `dir:` was dialled as a registry
host `dir:` (exit 10), an `http://user:pw@host/x` URL failed as "not a
digest", `resolve --image-prefix oci:…` and `builder manifests --builder
oci:…` wrote paths into YAML no cluster can pull, a pinned docker-archive
destination was quoted as `docker.io/…`, a damaged index.json got the generic
"see --help" hint and `--env NOEQUALS` was quoted back as `'NOEQUALS=…'`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.cli.sourceopts import parse_env
from builder.errors import UsageError
from builder.reference import LayoutRef, RegistryRef, parse_reference, require_registry
from tests.copy.images import make_layout
from tests.e2e.cli import assert_clean_error, run_in_process as run_main


@pytest.fixture
def layout(tmp_path: Path) -> Path:
    return make_layout(tmp_path / "src", {"hello": b"hello\n"})[0]


@pytest.mark.parametrize(("text", "words"), [
    ("dir:/tmp/x", ("unknown transport 'dir:'", "oci:DIR")),
    ("dir:./out", ("unknown transport 'dir:'", "oci:DIR")),
    ("containers-storage:localhost/app", ("unknown transport 'containers-storage:'", "podman load")),
    ("oci-archive:/tmp/x.tar", ("unknown transport 'oci-archive:'", "docker-archive:FILE")),
    ("foo:bar/baz", ("unknown transport 'foo:'", "oci:DIR[:TAG]")),
    ("docker://127.0.0.1:5000/app:v1", ("skopeo's form", "drop docker://: write '127.0.0.1:5000/app:v1'")),
    ("https://reg.example/team/app:v1", ("is a URL", "e.g. 'reg.example/team/app:v1'")),
    ("ftp://host/x", ("unknown transport 'ftp://'",)),
])  # fmt: skip
def test_unknown_transports_and_urls_are_usage_errors(text: str, words: tuple[str, ...]) -> None:
    with pytest.raises(UsageError) as caught:
        parse_reference(text)
    said = f"{caught.value.message} | {caught.value.hint}"
    assert caught.value.exit_code == 2
    for word in words:
        assert word in said, said


def test_a_url_with_a_password_never_echoes_it() -> None:
    with pytest.raises(UsageError) as caught:
        parse_reference("http://user:s3cr3t-pw@127.0.0.1:5931/x")
    said = f"{caught.value.message} | {caught.value.hint}"
    assert "s3cr3t-pw" not in said and "user" not in said
    assert "'http://***@127.0.0.1:5931/x' is a URL" in caught.value.message
    assert "'127.0.0.1:5931/x'" in caught.value.hint and "docker login" in caught.value.hint


@pytest.mark.parametrize(("text", "expected"), [
    ("nginx:latest", RegistryRef("docker.io", "library/nginx", "latest")),
    ("docker:dind", RegistryRef("docker.io", "library/docker", "dind")),  # a Hub name that is a skopeo word
    ("dir:1", RegistryRef("docker.io", "library/dir", "1")),
    ("localhost:5000/app:v1", RegistryRef("localhost:5000", "app", "v1")),
    ("reg.example:443/a/b", RegistryRef("reg.example:443", "a/b", "latest")),
    ("127.0.0.1:5931/x", RegistryRef("127.0.0.1:5931", "x", "latest")),
    ("oci:./out:v1", LayoutRef("./out", "v1")),
])  # fmt: skip
def test_names_with_a_colon_still_parse(text: str, expected: object) -> None:
    assert parse_reference(text) == expected


def test_copy_to_dir_is_exit_2_before_anything_is_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = run_main(["copy", f"oci:{tmp_path}/missing:v1", f"dir:{tmp_path}/x", "--cache-dir", str(tmp_path / "c")],
                   capsys)
    assert_clean_error(run, 2, "unknown transport 'dir:'", "oci:DIR")
    assert "cannot reach" not in run.stderr and not (tmp_path / "x").exists()
    url = run_main(["copy", f"oci:{tmp_path}/missing:v1", "http://user:pw@127.0.0.1:5931/x",
                    "--cache-dir", str(tmp_path / "c")], capsys)
    assert_clean_error(url, 2, "is a URL")
    assert "not a digest" not in url.stderr and ":pw@" not in url.stderr


@pytest.mark.parametrize("ref", ["oci:/tmp/x", "docker-archive:/tmp/x.tar", "docker-daemon:app:v1"])
def test_cluster_facing_references_must_be_registries(ref: str) -> None:
    with pytest.raises(UsageError, match="--builder needs a registry repository") as caught:
        require_registry(ref, "--builder")
    assert "registry.example.com" in caught.value.hint
    assert require_registry("reg.example/team/builder:v1", "--builder").repository == "team/builder"


def test_builder_manifests_refuses_a_layout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = run_main(["builder", "manifests", "--builder", "oci:/tmp/x", "--out", str(tmp_path / "m")], capsys)
    assert_clean_error(run, 2, "--builder needs a registry repository", "oci:/tmp/x")
    assert not (tmp_path / "m").exists() and "image:" not in run.stdout


def test_resolve_refuses_a_layout_prefix_before_building(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    yaml = tmp_path / "svc.yaml"
    yaml.write_text("image: dockless://./nowhere\n")
    run = run_main(["resolve", "-f", str(yaml), "--image-prefix", f"oci:{tmp_path}/out",
                    "--cache-dir", str(tmp_path / "c")], capsys)
    assert_clean_error(run, 2, "--image-prefix needs a registry repository")
    assert run.stdout == "" and not (tmp_path / "out").exists()


def test_a_pinned_archive_destination_is_quoted_as_given(layout: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    wrong = "sha256:" + "b" * 64
    dest = f"docker-archive:{tmp_path}/a.tar:trial2/pin:t@{wrong}"
    run = run_main(["copy", f"oci:{layout}:v1", dest, "--cache-dir", str(tmp_path / "c")], capsys)
    assert_clean_error(run, 2, f"docker-archive:{tmp_path}/a.tar:trial2/pin:t@{wrong}", "but the image is")
    assert "docker.io/" not in run.stderr and not (tmp_path / "a.tar").exists()


@pytest.mark.parametrize("content", [b"{not json", b"\xff\xfe\x00garbage", b"[1, 2]"])
def test_a_damaged_index_json_names_the_file_and_says_to_rewrite(content: bytes, layout: Path, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    (layout / "index.json").write_bytes(content)
    run = run_main(["inspect", f"oci:{layout}:v1", "--cache-dir", str(tmp_path / "c")], capsys)
    assert_clean_error(run, 2, f"the OCI layout '{layout}' is damaged", f"{layout}/index.json",
                       "write it again")
    assert "dockless --help" not in run.stderr


def test_env_without_equals_is_quoted_as_typed_and_a_bad_key_hides_the_value() -> None:
    with pytest.raises(UsageError) as caught:
        parse_env(("NOEQUALS",))
    assert caught.value.message == "--env 'NOEQUALS' is not of the form KEY=VALUE"
    with pytest.raises(UsageError) as bad_key:
        parse_env(("BAD-KEY=token123",))
    assert "token123" not in bad_key.value.message and "'BAD-KEY=…'" in bad_key.value.message
    assert parse_env(("A=1", "B_2=x=y")) == {"A": "1", "B_2": "x=y"}


@pytest.mark.parametrize(("text", "said"), [
    ("nginx:", "has an invalid tag"),
    ("nginx:v1+x", "has an invalid tag"),
    ("dir:.", "unknown transport 'dir:'"),
])  # fmt: skip
def test_a_bad_tag_is_still_called_a_bad_tag(text: str, said: str) -> None:
    with pytest.raises(UsageError, match=said):
        parse_reference(text)
