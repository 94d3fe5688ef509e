"""The generated lighttpd configuration and the caching rules it encodes."""

from __future__ import annotations

from pathlib import Path

import pytest

import re

from buildpacks.static.lighttpd import (HIDDEN, IMMUTABLE, cache_control, command, config, fingerprinted,
                                        is_fingerprinted)


@pytest.mark.parametrize(("url", "hashed"), [
    ("/assets/index-BxY3kz9a.js", True),           # Vite
    ("/assets/index-luwmQznW.css", True),          # Vite, a hash without a digit, in assets/
    ("/assets/index-B-x_9aQ3.js", True),           # base64url with - and _
    ("/assets/index-BxY3kz9a.js.map", True),
    ("/static/js/main.3f2a1b4c.chunk.js", True),   # Create React App
    ("/main.1a2b3c4d5e6f7a8b.js", True),           # Angular
    ("/x-luwmQznW.css", False),                    # no digit, outside a bundler's directory
    ("/fonts/OpenSans-SemiBold.woff2", False),
    ("/my-long-file-2.js", False),
    ("/report-20240101.pdf", False),
    ("/jquery-3.7.1.min.js", False),
    ("/index-Ab12cd34.html", False),               # pages are never immutable
    ("/assets/site.css", False),
    ("/app.js.map", False),
])
def test_fingerprinted_names(url: str, hashed: bool) -> None:
    assert is_fingerprinted(url) is hashed


def test_the_site_is_scanned_for_fingerprinted_files(tmp_path: Path) -> None:
    for name in ("index.html", "assets/index-BxY3kz9a.js", "assets/site.css", "assets/we ird-1a2b3c4d.js"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    assert fingerprinted(tmp_path) == ["/assets/index-BxY3kz9a.js"]  # odd characters keep the default


def test_cache_control_per_path() -> None:
    immutable = ["/assets/index-BxY3kz9a.js"]
    assert cache_control("/", immutable) == "no-cache"
    assert cache_control("/about/index.html", immutable) == "no-cache"
    assert cache_control("/assets/index-BxY3kz9a.js", immutable) == IMMUTABLE
    assert cache_control("/assets/index-Zz99zz99.js", immutable) == "max-age=3600"  # not in this site
    assert cache_control("/logo.png", immutable) == "max-age=3600"


def test_the_config_reads_port_at_start_and_lists_the_immutable_files() -> None:
    text = config("/workspace/dist", ["/assets/index-BxY3kz9a.js", "/assets/a.1a2b3c4d.css"])
    assert "server.port = env.PORT\n" in text
    assert 'server.document-root = "/workspace/dist"\n' in text
    assert 'server.errorfile-prefix = "/workspace/dist/"\n' in text  # -> /workspace/dist/404.html
    assert 'server.upload-dirs = ("/tmp")\n' in text and "server.username" not in text
    assert 'static-file.etags = "disable"' in text and '"Last-Modified" => ""' in text
    assert r'$HTTP["url"] =~ "^(?:/assets/index\-BxY3kz9a\.js|/assets/a\.1a2b3c4d\.css)$"' in text
    assert text == config("/workspace/dist", ["/assets/index-BxY3kz9a.js", "/assets/a.1a2b3c4d.css"])
    assert "$HTTP" in config("/workspace", []) and "immutable" not in config("/workspace", [])
    assert '$HTTP["url"] =~ "/\\.(?!well-known(/|$))" {\n  url.access-deny = ("")\n}' in text


@pytest.mark.parametrize("root", ["relative/dist", '/work"space', "/work space", "/a\\b"])
def test_a_document_root_that_cannot_be_quoted_is_refused(root: str) -> None:
    with pytest.raises(ValueError):
        config(root)


def test_lighttpd_runs_in_the_foreground() -> None:
    assert command("/layers/static/config/lighttpd.conf") == (
        "/usr/sbin/lighttpd", "-D", "-f", "/layers/static/config/lighttpd.conf")


@pytest.mark.parametrize(("url", "denied"), [
    ("/.env", True), ("/.git/config", True), ("/a/.htpasswd", True), ("/.well-known/security.txt", False),
    ("/.well-known", False), ("/a.b/c", False), ("/index.html", False),
])
def test_dot_files_are_refused_but_well_known(url: str, denied: bool) -> None:
    assert bool(re.search(HIDDEN, url)) is denied
