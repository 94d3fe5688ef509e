"""The single-page-app fallback: the setting, the rule and the lighttpd lines that carry it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from buildpacks.static.lighttpd import config
from buildpacks.static.pushstate import CLIENT_ROUTE, check_index, enabled, is_rewritten, kept, rewrite_pattern
from builder.errors import BuildError, UsageError

SETTING = "BP_WEB_SERVER_ENABLE_PUSH_STATE"


@pytest.mark.parametrize("value", ["true", "TRUE", "True", "t", "T", "1", " true "])
def test_true_as_paketo_reads_it_turns_the_fallback_on(value: str) -> None:
    assert enabled({SETTING: value}) is True


@pytest.mark.parametrize("value", ["false", "FALSE", "False", "f", "F", "0", ""])
def test_false_or_empty_leaves_it_off(value: str) -> None:
    assert enabled({SETTING: value}) is False
    assert enabled({}) is False


@pytest.mark.parametrize("value", ["yes please", "yes", "on", "tRuE", "2"])
def test_any_other_value_is_a_usage_error_naming_the_variable_and_the_values(value: str) -> None:
    with pytest.raises(UsageError) as err:
        enabled({SETTING: value})
    assert err.value.exit_code == 2
    assert err.value.message == f"{SETTING} must be true or false, not '{value}'"
    assert "true" in err.value.hint and "false" in err.value.hint and "\n" not in err.value.message


@pytest.mark.parametrize(("uri", "rewritten"), [
    ("/users/42", True),
    ("/users/42/", True),                     # a route with a trailing slash
    ("/users/42?tab=1.2", True),              # the query is no part of the rule
    ("/deep/client/route", True),
    ("/assets/", True),                       # a directory without an index
    ("/", False),                             # the root has the index
    ("/about", False), ("/about/", False),    # a directory with an index: served, redirected as before
    ("/about?x=1", False),
    ("/about/team", True),                    # below it: a route again
    ("/LICENSE", False),                      # a file without a dot in its name
    ("/assets/app.1234abcd.js", False),       # the dot rule: missing files keep their 404
    ("/favicon.ico", False), ("/old-page.html", False), ("/users/john.doe", False),
    ("/.env", False), ("/.git/HEAD", False), ("/a/.secret/b", False), ("/.well-known/x", False),
    ("/users/42/.env", False),
])
def test_which_requests_fall_back_to_index_html(uri: str, rewritten: bool) -> None:
    assert is_rewritten(uri, ["/LICENSE", "/about"]) is rewritten


@pytest.mark.parametrize(("path", "route"), [
    ("/users/42", True), ("/users/42/", True), ("/assets/app.js", False), ("/.env", False), ("/a/.b/c", False),
])
def test_client_routes_for_the_cache_headers(path: str, route: bool) -> None:
    assert bool(re.search(CLIENT_ROUTE, path)) is route


def write(root: Path, names: list[str]) -> Path:
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x")
    return root


def test_directories_with_an_index_and_dotless_files_are_kept(tmp_path: Path) -> None:
    site = write(tmp_path, ["index.html", "about/index.html", "docs/old/index.htm", "assets/app.js", "LICENSE",
                            "empty/readme.txt", ".git/HEAD", ".well-known/index.html", "we ird/index.html"])
    (site / "linked").symlink_to(site / "about")
    assert kept(site) == ["/LICENSE", "/about", "/docs/old"]


def test_the_fallback_needs_the_sites_own_index_html(tmp_path: Path) -> None:
    site = write(tmp_path / "dist", ["about/index.html"])
    with pytest.raises(BuildError) as err:
        check_index(site, "dist/")
    assert err.value.exit_code == 5 and "dist/index.html, which is missing" in err.value.message
    (site / "index.html").symlink_to(site / "about" / "index.html")
    with pytest.raises(BuildError, match="dist/index.html, which is a link"):
        check_index(site, "dist/")
    (site / "index.html").unlink()
    (site / "index.html").write_text("<div id=app>")
    check_index(site, "dist/")


def test_the_config_loads_mod_rewrite_and_keeps_the_else_chain() -> None:
    text = config("/workspace/dist", ["/assets/index-BxY3kz9a.js"], push_state=["/about"])
    assert 'server.modules = ("mod_access", "mod_expire", "mod_setenv", "mod_deflate", "mod_rewrite")\n' in text
    immutable = text.index('else $HTTP["url"] =~ "^(?:/assets/index\\-BxY3kz9a\\.js)$"')
    kept_branch = text.index('else $HTTP["url"] =~ "^(?:/about)$" {\n  setenv.set-response-header = '
                             '("Last-Modified" => "", "X-Content-Type-Options" => "nosniff")\n}')
    route = text.index(f'else $HTTP["url"] =~ "{CLIENT_ROUTE}" {{\n  setenv.set-response-header = '
                       '("Cache-Control" => "no-cache", ')
    assert immutable < kept_branch < route  # one chain: a page, an immutable file, a kept path, a route
    assert text.endswith(f'url.rewrite-if-not-file = ("{rewrite_pattern(["/about"])}" => "/index.html")\n')
    assert text == config("/workspace/dist", ["/assets/index-BxY3kz9a.js"], push_state=["/about"])  # same bytes


def test_without_the_setting_the_config_is_as_before() -> None:
    text = config("/workspace", [])
    assert "mod_rewrite" not in text and "rewrite" not in text
    assert config("/workspace", [], push_state=[]).count("else $HTTP") == 1  # nothing kept: only the route branch
