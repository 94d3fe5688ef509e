"""Parsing dockless:// references and naming their images (no network)."""

from __future__ import annotations

import pytest

from builder.errors import UsageError
from builder.resolve import SourceRef, image_names, parse_ref


@pytest.mark.parametrize(("text", "source", "revision", "subdir"), [
    ("dockless://./hello", "./hello", None, None),
    ("dockless://examples/nodejs-express", "examples/nodejs-express", None, None),
    ("dockless://git://127.0.0.1:9418/app.git", "git://127.0.0.1:9418/app.git", None, None),
    ("dockless://git://127.0.0.1:9418/app.git#v1", "git://127.0.0.1:9418/app.git", "v1", None),
    ("dockless://https://git.example.com/org/mono.git#main:services/web", "https://git.example.com/org/mono.git",
     "main", "services/web"),
    ("dockless://https://git.example.com:8443/org/mono.git:web", "https://git.example.com:8443/org/mono.git", None,
     "web"),  # the port's colon is in the authority, the sub-directory's in the path
    ("dockless://https://host/org/app.git#:web/", "https://host/org/app.git", None, "web"),
])
def test_parse(text: str, source: str, revision: str | None, subdir: str | None) -> None:
    ref = parse_ref(text)
    assert (ref.source, ref.revision, ref.subdir) == (source, revision, subdir)
    assert ref.text == text.removeprefix("dockless://")


@pytest.mark.parametrize("text", ["dockless://", "dockless://  ", "ko://github.com/x/y",
                                  "dockless://https://host/app.git#v1:../etc"])
def test_bad_references_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError):
        parse_ref(text)


def test_display_hides_credentials() -> None:
    ref = parse_ref("dockless://https://x-access-token:s3cret@host/org/app.git#v2")
    assert "s3cret" not in ref.display and ref.display.startswith("dockless://https://")


def test_image_names_from_subdir_repo_or_directory_and_revision_as_tag() -> None:
    refs = [parse_ref("dockless://git://h/org/shop.git#v1.2:services/Cart_API"),
            parse_ref("dockless://git://h/org/shop.git"),
            parse_ref("dockless://./apps/hello/")]
    names = image_names(refs, "registry.example.com/team/")
    assert names[refs[0]] == "registry.example.com/team/cart_api:v1.2"
    assert names[refs[1]] == "registry.example.com/team/shop:latest"
    assert names[refs[2]] == "registry.example.com/team/hello:latest"


def test_clashing_names_get_a_hash_of_their_reference_and_the_same_one_every_time() -> None:
    a, b = parse_ref("dockless://one/app"), parse_ref("dockless://two/app")
    first = image_names([a, b], "r/x")
    assert first[a] != first[b] and first[a].startswith("r/x/app-") and first[a].endswith(":latest")
    assert image_names([b, a], "r/x") == first  # independent of the order they were found in
    assert image_names([a], "r/x")[a] == "r/x/app:latest"


def test_two_revisions_of_one_repository_are_two_tags_of_one_name() -> None:
    v1, v2 = parse_ref("dockless://git://h/app.git#v1"), parse_ref("dockless://git://h/app.git#v2")
    assert image_names([v1, v2], "r") == {v1: "r/app:v1", v2: "r/app:v2"}
    assert isinstance(v1, SourceRef)
