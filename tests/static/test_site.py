"""Finding the site after the build, and leaving everything else out of the app layer."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from buildpacks.static.site import excludes, find_site
from builder.errors import BuildError

NODE = {"mode": "node-build", "site": "", "candidates": "dist,build,out,public", "source_index": ""}


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_the_first_output_directory_with_an_index_html_is_the_site(tmp_path: Path) -> None:
    write(tmp_path, {"build/index.html": "b", "out/index.html": "o", "dist/assets/x.js": "no index"})
    assert find_site(tmp_path, NODE) == "build"


def test_a_template_kept_in_the_source_is_not_a_site_until_the_build_changes_it(tmp_path: Path) -> None:
    template = '<div id="root"></div>'
    meta = {**NODE, "source_index": f"public={hashlib.sha256(template.encode()).hexdigest()}"}
    write(tmp_path, {"public/index.html": template})
    with pytest.raises(BuildError) as err:
        find_site(tmp_path, meta)
    assert err.value.message == ("the Node.js build wrote no index.html in dist/, build/, out/, public/ "
                                 "(public/ only as in the source): nothing to serve")
    write(tmp_path, {"public/index.html": template + "<script src=/app-1a2b3c4d.js></script>"})
    assert find_site(tmp_path, meta) == "public"  # Gatsby-style: the build rewrote it


def test_a_build_that_writes_nothing_is_a_build_error_with_a_hint(tmp_path: Path) -> None:
    with pytest.raises(BuildError) as err:
        find_site(write(tmp_path, {"src/main.js": ""}), NODE)
    assert "wrote no index.html in dist/, build/, out/, public/" in str(err.value.message)
    assert "dist/" in err.value.hint


def test_an_output_directory_linked_outside_the_app_is_not_served(tmp_path: Path) -> None:
    outside = write(tmp_path / "outside", {"index.html": "secret"})
    app = tmp_path / "app"
    app.mkdir()
    (app / "dist").symlink_to(outside)
    with pytest.raises(BuildError):
        find_site(app, NODE)


def test_a_site_of_files_must_still_have_its_index(tmp_path: Path) -> None:
    assert find_site(write(tmp_path, {"public/index.html": "x"}), {"mode": "files", "site": "public"}) == "public"
    with pytest.raises(BuildError, match="www/index.html is gone"):
        find_site(tmp_path, {"mode": "files", "site": "www"})


def test_only_the_site_ships(tmp_path: Path) -> None:
    write(tmp_path, {"dist/index.html": "", "src/main.js": "", "package.json": "{}", ".npmrc": "",
                     "node_modules/vite/x.js": ""})
    assert excludes(tmp_path, "", "dist") == {"src", "package.json", ".npmrc", "node_modules"}
    assert excludes(tmp_path, "", ".") == {".npmrc"}  # a dot file of the site itself


def test_only_the_site_of_a_monorepo_member_ships(tmp_path: Path) -> None:
    write(tmp_path, {"apps/web/dist/index.html": "", "apps/web/src/a.js": "", "apps/api/x.js": "",
                     "package.json": "{}"})
    assert excludes(tmp_path, "apps/web", "dist") == {"package.json", "apps/api", "apps/web/src"}


def test_dot_files_of_the_site_stay_out_of_the_image_but_well_known_ships(tmp_path: Path) -> None:
    for rel in ("index.html", ".env", ".git/config", "assets/.DS_Store", "assets/app.js",
                ".well-known/security.txt", ".well-known/.hidden"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    assert excludes(tmp_path, "", ".") == {".env", ".git", "assets/.DS_Store", ".well-known/.hidden"}
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / ".env.production").write_text("SECRET=1")
    assert "dist/.env.production" in excludes(tmp_path, "", "dist")
