"""Pinned reference forms: a tag and a digest together, in every medium that takes a name."""

from __future__ import annotations

import pytest

from builder.errors import UsageError
from builder.image.digest import Digest
from builder.reference import ArchiveRef, DaemonRef, LayoutRef, RegistryRef, parse_reference

D = "sha256:" + "a" * 64
OTHER = Digest("sha256", "b" * 64)


@pytest.mark.parametrize(("text", "expected"), [
    (f"reg.test:5000/app:v1@{D}", RegistryRef("reg.test:5000", "app", "v1", Digest.parse(D))),
    (f"reg.test/app@{D}", RegistryRef("reg.test", "app", None, Digest.parse(D))),
    (f"oci:./out:v1@{D}", LayoutRef("./out", "v1", Digest.parse(D))),
    (f"oci:./out@{D}", LayoutRef("./out", None, Digest.parse(D))),
    ("oci:./out:v1", LayoutRef("./out", "v1")),
    (f"docker-archive:a.tar:app:v1@{D}", ArchiveRef("a.tar", RegistryRef("docker.io", "library/app", "v1",
                                                                          Digest.parse(D)))),
    (f"docker-daemon:app:v1@{D}", DaemonRef(RegistryRef("docker.io", "library/app", "v1", Digest.parse(D)))),
])  # fmt: skip
def test_pinned_forms_parse(text: str, expected: object) -> None:
    assert parse_reference(text) == expected


def test_a_pinned_destination_must_be_the_written_image() -> None:
    ref = parse_reference(f"reg.test/app:v1@{D}")
    assert isinstance(ref, RegistryRef)
    ref.require_digest(Digest.parse(D))
    with pytest.raises(UsageError, match="but the image is") as info:
        ref.require_digest(OTHER)
    assert info.value.exit_code == 2 and "reg.test/app:v1@" in info.value.message
    assert "drop the @sha256" in info.value.hint
    layout = parse_reference(f"oci:out:v1@{D}")
    assert isinstance(layout, LayoutRef)
    assert layout.pinned(OTHER) == f"oci:out:v1@{OTHER}"
    with pytest.raises(UsageError):
        layout.require_digest(OTHER)


def test_names_longer_than_docker_allows_are_refused() -> None:
    with pytest.raises(UsageError, match="longer than 255"):
        parse_reference("reg.test/" + "a" * 250 + ":v1")


def test_copy_help_spells_out_the_default() -> None:
    from click.testing import CliRunner

    from builder.cli.copy import copy_cmd

    text = " ".join(CliRunner().invoke(copy_cmd, ["--help"]).output.split())
    assert "--all-platforms Copy an index whole" in text and "This is the default" in text
    assert "--platform OS/ARCH Copy only this" in text


def test_an_upper_case_repository_says_names_are_lower_case_and_gives_the_fix() -> None:
    with pytest.raises(UsageError) as caught:
        parse_reference("REG.io/Team/App:1")
    assert "repository names are lower case" in caught.value.message
    assert caught.value.hint == "use 'REG.io/team/app:1'"
