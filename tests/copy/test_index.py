"""An image index is copied whole (every platform's manifest and blobs, the index's digest) unless
--platform picks one, and `inspect` shows its platforms. Real registry with auth, skopeo as the
independent writer and reader, Docker pulling the copied index and running it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tests.conftest import UMOCI_HELLO
from tests.copy.images import make_index_layout
from tests.e2e.cli import assert_clean_error, dockless
from tests.infra.docker_engine import docker_run_output
from tests.infra.oci import skopeo, skopeo_copy
from tests.infra.registry import Registry


@pytest.fixture
def multi(umoci_busybox: Path, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    return make_index_layout(tmp_path / "multi", umoci_busybox)


def _raw(ref: str, creds: str | None = None) -> bytes:
    args = ["inspect", "--raw"] + (["--tls-verify=false"] if ref.startswith("docker://") else [])
    return skopeo(*args, *(["--creds", creds] if creds else []), ref)


def _assert_whole_index(registry: Registry, repo: str, tag: str, digests: dict[str, str]) -> None:
    assert registry.manifest_digest(repo, tag) == digests["index"]
    for platform, digest in digests.items():
        if platform == "index":
            continue
        manifest, _, got = registry.manifest(repo, digest)
        assert got == digest, platform
        doc = json.loads(manifest)
        for blob in [doc["config"], *doc["layers"]]:
            assert registry.blob_exists(repo, blob["digest"]), (platform, blob)


def test_registry_index_is_copied_whole_and_runs(multi: tuple[Path, dict[str, str]], registry: Registry,
                                                 docker_config: Path, repo_name: str, tmp_path: Path,
                                                 docker_engine: object) -> None:
    layout, digests = multi
    source = f"{registry.host}/{repo_name}-src:multi"
    skopeo_copy(f"oci:{layout}:multi", f"docker://{source}", dest_creds=registry.creds, extra=["--all"])
    dest = f"{registry.host}/{repo_name}:copied"
    run = dockless("copy", source, dest, docker_config=docker_config, cache_dir=tmp_path / "c")
    assert run.code == 0, run.stderr
    assert run.last_line == f"{registry.host}/{repo_name}@{digests['index']}"
    assert "linux/amd64, linux/arm64, linux/arm/v7" in run.stderr
    _assert_whole_index(registry, repo_name, "copied", digests)
    raw = _raw(f"docker://{dest}", registry.creds)
    assert "sha256:" + hashlib.sha256(raw).hexdigest() == digests["index"]
    # Docker resolves the index to this machine's platform and runs it
    assert UMOCI_HELLO in docker_run_output(dest, docker_config=docker_config)
    # reproducible: copying again writes the same digest
    again = dockless("copy", source, f"{registry.host}/{repo_name}:again", docker_config=docker_config,
                     cache_dir=tmp_path / "c2")
    assert again.last_line == run.last_line


def test_oci_index_to_oci_keeps_the_index(multi: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    layout, digests = multi
    out = tmp_path / "out"
    run = dockless("copy", f"oci:{layout}:multi", f"oci:{out}:m", cache_dir=tmp_path / "c")
    assert run.code == 0, run.stderr
    assert run.last_line == f"oci:{out}:m@{digests['index']}"
    assert "sha256:" + hashlib.sha256(_raw(f"oci:{out}:m")).hexdigest() == digests["index"]
    # skopeo reads every platform back out of the copy (it verifies each blob it copies)
    for arch in ("amd64", "arm64", "arm"):
        skopeo("copy", "--override-arch", arch, *(["--override-variant", "v7"] if arch == "arm" else []),
               f"oci:{out}:m", f"oci:{tmp_path / 'check'}:{arch}")
    assert skopeo("copy", "--all", f"oci:{out}:m", f"oci:{tmp_path / 'all'}:x") is not None


def test_platform_picks_one_image_and_says_so(multi: tuple[Path, dict[str, str]], registry: Registry,
                                             docker_config: Path, repo_name: str, tmp_path: Path) -> None:
    layout, digests = multi
    dest = f"{registry.host}/{repo_name}:arm64"
    run = dockless("copy", "--platform", "linux/arm64", f"oci:{layout}:multi", dest,
                   docker_config=docker_config, cache_dir=tmp_path / "c")
    assert run.code == 0, run.stderr
    assert run.last_line == f"{registry.host}/{repo_name}@{digests['linux/arm64']}"
    assert "copying only linux/arm64, as asked by --platform" in run.stderr
    assert registry.manifest_digest(repo_name, "arm64") == digests["linux/arm64"]
    assert_clean_error(dockless("copy", "--platform", "linux/arm64", "--all-platforms", f"oci:{layout}:multi",
                                f"oci:{tmp_path}/x", cache_dir=tmp_path / "c"), 2, "exclude each other")
    assert_clean_error(dockless("copy", "--platform", "linux/s390x", f"oci:{layout}:multi", f"oci:{tmp_path}/x",
                                cache_dir=tmp_path / "c"), 12, "linux/amd64, linux/arm/v7, linux/arm64")


def test_one_image_media_get_this_machines_platform(multi: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    layout, digests = multi
    archive = tmp_path / "a.tar"
    run = dockless("copy", f"oci:{layout}:multi", f"docker-archive:{archive}", cache_dir=tmp_path / "c")
    assert run.code == 0, run.stderr
    assert "copying only linux/amd64" in run.stderr and "holds one image" in run.stderr
    assert run.last_line.endswith(digests["linux/amd64"])
    refused = dockless("copy", "--all-platforms", f"oci:{layout}:multi", f"docker-archive:{tmp_path}/b.tar",
                       cache_dir=tmp_path / "c")
    assert_clean_error(refused, 2, "holds one image", "--platform")
    assert not (tmp_path / "b.tar").exists()


def test_inspect_shows_the_index_and_each_platform(multi: tuple[Path, dict[str, str]], registry: Registry,
                                                   docker_config: Path, repo_name: str, tmp_path: Path) -> None:
    layout, digests = multi
    ref = f"{registry.host}/{repo_name}:multi"
    assert dockless("copy", f"oci:{layout}:multi", ref, docker_config=docker_config,
                    cache_dir=tmp_path / "c").code == 0
    for source in (ref, f"oci:{layout}:multi"):
        run = dockless("inspect", "--json", source, docker_config=docker_config, cache_dir=tmp_path / "c")
        assert run.code == 0, run.stderr
        doc = json.loads(run.stdout)
        assert doc["digest"] == digests["index"]
        assert doc["mediaType"] == "application/vnd.oci.image.index.v1+json"
        assert {m["platform"]: m["digest"] for m in doc["manifests"]} == \
            {k: v for k, v in digests.items() if k != "index"}
        assert doc["index"]["annotations"]["org.opencontainers.image.description"]
    human = dockless("inspect", ref, docker_config=docker_config, cache_dir=tmp_path / "c")
    assert f"Digest:       {digests['index']}" in human.stdout
    assert "Platforms (3):" in human.stdout and "linux/arm/v7" in human.stdout
    one = dockless("inspect", "--json", "--platform", "linux/arm/v7", ref, docker_config=docker_config,
                   cache_dir=tmp_path / "c")
    assert json.loads(one.stdout)["digest"] == digests["linux/arm/v7"]


def test_tag_and_digest_destination(multi: tuple[Path, dict[str, str]], registry: Registry, docker_config: Path,
                                    repo_name: str, tmp_path: Path) -> None:
    layout, digests = multi
    cache = tmp_path / "c"
    # a single image: the tag is created when the digest matches
    amd64 = digests["linux/amd64"]
    run = dockless("copy", "--platform", "linux/amd64", f"oci:{layout}:multi",
                   f"{registry.host}/{repo_name}:newtag@{amd64}", docker_config=docker_config, cache_dir=cache)
    assert run.code == 0, run.stderr
    assert registry.manifest_digest(repo_name, "newtag") == amd64
    # an index: the same rule
    run = dockless("copy", f"oci:{layout}:multi", f"{registry.host}/{repo_name}:all@{digests['index']}",
                   docker_config=docker_config, cache_dir=cache)
    assert run.code == 0, run.stderr
    assert registry.manifest_digest(repo_name, "all") == digests["index"]
    # a digest that is not the image's: exit 2, no tag, nothing written
    wrong = digests["linux/arm64"]
    for source, extra in ((f"oci:{layout}:multi", ()), (f"oci:{layout}:multi", ("--platform", "linux/amd64"))):
        refused = dockless("copy", *extra, source, f"{registry.host}/{repo_name}-x:bad@{wrong}",
                           docker_config=docker_config, cache_dir=cache)
        assert_clean_error(refused, 2, wrong.split(":")[1][:12], "drop the @sha256")
    assert registry.tags(f"{repo_name}-x") == []
    # other media that take a name check it too
    refused = dockless("copy", "--platform", "linux/amd64", f"oci:{layout}:multi",
                       f"docker-archive:{tmp_path}/a.tar:app:v1@{wrong}", cache_dir=cache)
    assert_clean_error(refused, 2, "drop the @sha256")
    assert not (tmp_path / "a.tar").exists()


def test_pinned_layout_references(multi: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    layout, digests = multi
    cache = tmp_path / "c"
    out = tmp_path / "out"
    # reading by digest (with or without the tag), writing a tag pinned to the right digest
    for source in (f"oci:{layout}@{digests['index']}", f"oci:{layout}:multi@{digests['index']}"):
        run = dockless("copy", source, f"oci:{out}:pinned@{digests['index']}", cache_dir=cache)
        assert run.code == 0, run.stderr
        assert run.last_line == f"oci:{out}:pinned@{digests['index']}"
    index = json.loads((out / "index.json").read_text())
    assert [m["annotations"]["org.opencontainers.image.ref.name"] for m in index["manifests"]] == ["pinned"]
    # a digest that is not the image's: exit 2 and the layout untouched
    refused = dockless("copy", f"oci:{layout}:multi", f"oci:{out}:other@{digests['linux/arm64']}", cache_dir=cache)
    assert_clean_error(refused, 2, "drop the @sha256")
    assert json.loads((out / "index.json").read_text()) == index
    # reading a digest the layout does not tag: exit 12
    assert_clean_error(dockless("inspect", f"oci:{layout}@{digests['linux/arm64']}", cache_dir=cache), 12,
                       digests["linux/arm64"])


def test_an_artifact_is_copied_byte_for_byte(registry: Registry, docker_config: Path, repo_name: str,
                                             tmp_path: Path) -> None:
    """An OCI 1.1 artifact (empty config, a non-layer blob) is not an image, and is copied all the same."""
    from tests.copy import images

    layout = tmp_path / "art"
    layout.mkdir()
    empty = images._put(layout, b"{}")
    note = images._put(layout, b"an SBOM, say\n")
    manifest = {"schemaVersion": 2, "mediaType": images.OCI_MANIFEST, "artifactType": "application/vnd.example.note",
                "config": {"mediaType": "application/vnd.oci.empty.v1+json", **empty},
                "layers": [{"mediaType": "text/plain", **note}]}
    desc = {"mediaType": images.OCI_MANIFEST, **images._put(layout, images._json(manifest))}
    images._tag(layout, "note", desc)
    dest = f"{registry.host}/{repo_name}:note"
    run = dockless("copy", f"oci:{layout}:note", dest, docker_config=docker_config, cache_dir=tmp_path / "c")
    assert run.code == 0, run.stderr
    assert registry.manifest_digest(repo_name, "note") == desc["digest"]
    back = tmp_path / "back"
    run = dockless("copy", dest, f"oci:{back}:n", docker_config=docker_config, cache_dir=tmp_path / "c")
    assert run.code == 0, run.stderr
    assert run.last_line == f"oci:{back}:n@{desc['digest']}"
    assert (back / "blobs" / "sha256" / note["digest"].split(":")[1]).read_bytes() == b"an SBOM, say\n"
    assert_clean_error(dockless("copy", dest, f"docker-archive:{tmp_path}/a.tar", docker_config=docker_config,
                                cache_dir=tmp_path / "c"), 2, "artifact")
