"""builder.buildpack's public surface: every exported name exists and has a docstring."""

from __future__ import annotations

from tests.test_public_api import test_all_names_exist_and_have_docstrings as check_public_api


def test_the_sdk_surface_is_documented() -> None:
    check_public_api("builder.buildpack")
