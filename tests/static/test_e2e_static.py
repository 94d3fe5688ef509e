"""Static sites through the real `dockless build`: git:// source, the auth registry, Docker, HTTP.

A plain site is served as it is; a Vite site is built by the (nodejs, static)
group with Vite from the npm registry, and the image holds the built dist/
and lighttpd, and nothing of Node.js.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import tarfile
from collections.abc import Callable
from pathlib import Path

from tests.e2e.cli import assert_clean_error, dockless
from tests.infra.registry import Registry
from tests.static.serving import serving

Publish = Callable[..., tuple[str, str]]  # tests/e2e/conftest.py `publish`


def image_files(registry: Registry, repo: str, digest: str) -> tuple[set[str], dict[str, object]]:
    """Every path in the pushed image's layers, and its config, from the registry."""
    manifest = json.loads(registry.manifest(repo, digest)[0])
    names: set[str] = set()
    for layer in manifest["layers"]:
        with tarfile.open(fileobj=io.BytesIO(gzip.decompress(registry.blob(repo, layer["digest"])))) as tar:
            names |= {n.lstrip("./") for n in tar.getnames()}
    config: dict[str, object] = json.loads(registry.blob(repo, manifest["config"]["digest"]))
    return names, config


def test_plain_site_served_with_cache_headers_and_its_404_page(
        publish: Publish, registry: Registry, docker_config: Path, build_cache: Path, repo_name: str,
        docker_engine: object, tmp_path: Path) -> None:
    _, url = publish("static-site", {".env": "API_TOKEN=not-for-the-web\n"})
    run = dockless("build", url, "--image", f"{registry.host}/{repo_name}:v1",
                   docker_config=docker_config, cache_dir=build_cache)
    assert run.code == 0, run.stderr
    assert "detected static: found index.html at the root" in run.stderr
    pinned = run.last_line
    with serving(pinned, docker_config=docker_config) as site:
        home = site.get("/")
        assert home.status == 200 and "hello from a static site" in home.body
        assert home.headers["cache-control"] == "no-cache"
        assert home.headers["content-type"] == "text/html; charset=utf-8"
        assert "last-modified" not in home.headers and "etag" not in home.headers  # mtimes are fixed: no validators
        asset = site.get("/assets/app-3f9c2b1a.js")
        assert asset.status == 200 and asset.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert asset.headers["content-type"].startswith("text/javascript")
        css = site.get("/assets/site.css")
        assert css.status == 200 and css.headers["cache-control"] == "max-age=3600"
        about = site.get("/about/")
        assert about.status == 200 and "about this site" in about.body
        missing = site.get("/no/such/page")
        assert missing.status == 404 and "static-site: no such page" in missing.body  # 404.html
        assert "cache-control" not in missing.headers
        assert site.get("/.env").status == 403  # dot files are refused
        gone = site.get("/assets/app-9f8e7d6c.js")
        assert gone.status == 404 and "immutable" not in gone.headers.get("cache-control", "")
        assert site.stop() == 0  # lighttpd is PID 1 and ends on SIGTERM
    names, config = image_files(registry, repo_name, pinned.split("@")[1])
    assert {"workspace/index.html", "workspace/404.html", "usr/sbin/lighttpd",
            "layers/static/config/lighttpd.conf"} <= names
    inner = config["config"]
    assert isinstance(inner, dict) and re.fullmatch(r"[1-9]\d*:\d+", inner["User"])
    assert inner["Entrypoint"] == ["/usr/sbin/lighttpd", "-D", "-f", "/layers/static/config/lighttpd.conf"]

    # the same commit with a fresh cache: the same image
    again = dockless("build", url, "--image", f"oci:{tmp_path / 'oci'}", cache_dir=tmp_path / "fresh-cache")
    assert again.code == 0, again.stderr
    assert again.last_line.split("@")[1] == pinned.split("@")[1]


def test_vite_site_built_by_node_and_served_without_node(
        publish: Publish, registry: Registry, docker_config: Path, build_cache: Path, repo_name: str,
        docker_engine: object) -> None:
    _, url = publish("static-vite")
    run = dockless("build", url, "--image", f"{registry.host}/{repo_name}:v1",
                   docker_config=docker_config, cache_dir=build_cache)
    assert run.code == 0, run.stderr
    assert "detected static: package.json builds a static site with vite" in run.stderr
    assert "running npm run build" in run.stderr and "serving dist/ (/workspace/dist)" in run.stderr
    pinned = run.last_line
    with serving(pinned, docker_config=docker_config) as site:
        home = site.get("/")
        assert home.status == 200 and "hello from a Vite site" in home.body
        assets = re.findall(r'(?:src|href)="(/assets/[^"]+)"', home.body)
        assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets), home.body
        for path in assets:  # Vite's hashed output, long-lived
            answer = site.get(path)
            assert answer.status == 200 and answer.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert site.get("/favicon.svg").headers["content-type"] == "image/svg+xml"  # copied from public/
        script = next(a for a in assets if a.endswith(".js"))
        packed = site.get(script, {"Accept-Encoding": "gzip"})  # text goes compressed to clients that take it
        assert packed.headers.get("content-encoding") == "gzip" and "Accept-Encoding" in packed.headers["vary"]
        assert "content-encoding" not in site.get(script).headers
        missing = site.get("/nope")
        assert missing.status == 404 and "vite site: no such page" in missing.body
        assert site.stop() == 0
    names, config = image_files(registry, repo_name, pinned.split("@")[1])
    assert "workspace/dist/index.html" in names
    assert not [n for n in names if n.startswith(("layers/nodejs", "workspace/node_modules", "workspace/src"))]
    assert not [n for n in names if n.endswith(("bin/node", "package.json", "package-lock.json"))]
    env = config["config"]["Env"]  # type: ignore[index]
    assert not any("nodejs" in e or "NODE_ENV" in e for e in env), env

    # the same commit again: the same digest (cached node_modules, rebuilt site)
    again = dockless("build", url, "--image", f"{registry.host}/{repo_name}:v2",
                     docker_config=docker_config, cache_dir=build_cache)
    assert again.code == 0, again.stderr
    assert again.last_line.split("@")[1] == pinned.split("@")[1]


def test_a_node_build_that_writes_no_site_fails_in_one_line_and_pushes_nothing(
        publish: Publish, registry: Registry, docker_config: Path, build_cache: Path, repo_name: str) -> None:
    package = json.loads((Path(__file__).parents[2] / "examples/static-vite/package.json").read_text())
    package["scripts"]["build"] = "vite build --outDir www"  # not where a static site is looked for
    _, url = publish("static-vite", {"package.json": json.dumps(package, indent=2)})
    run = dockless("build", url, "--image", f"{registry.host}/{repo_name}:v1",
                   docker_config=docker_config, cache_dir=build_cache)
    assert_clean_error(run, 5, "the Node.js build wrote no index.html in dist/, build/, out/, public/")
    assert registry.tags(repo_name) == []


def test_a_site_with_a_package_json_for_tooling_only_ships_the_site_and_no_node(
        publish: Publish, registry: Registry, docker_config: Path, build_cache: Path, repo_name: str,
        docker_engine: object) -> None:
    _, url = publish("static-tooling", {"index.html": "<h1>linted, not built</h1>\n",
                                        "package.json": '{"private": true, "scripts": {"lint": "echo ok"}}\n'})
    run = dockless("build", url, "--image", f"{registry.host}/{repo_name}:v1",
                   docker_config=docker_config, cache_dir=build_cache)
    assert run.code == 0, run.stderr
    assert "package.json has no build step and starts nothing: Node.js at build only" in run.stderr
    with serving(run.last_line, docker_config=docker_config) as site:
        assert "linted, not built" in site.get("/").body
        assert site.get("/package.json").status == 404  # tooling does not ship
    names, _ = image_files(registry, repo_name, run.last_line.split("@")[1])
    assert "workspace/index.html" in names and not [n for n in names if n.startswith("layers/nodejs")]


def test_single_page_app_fallback_answers_client_routes_with_index_html_and_keeps_404_for_files(
        publish: Publish, registry: Registry, docker_config: Path, build_cache: Path, repo_name: str,
        docker_engine: object) -> None:
    """BP_WEB_SERVER_ENABLE_PUSH_STATE from project.toml's build env (a --env value that is no boolean: exit 2)."""
    setting = "BP_WEB_SERVER_ENABLE_PUSH_STATE"
    _, url = publish("static-site", {
        ".env": "API_TOKEN=not-for-the-web\n",
        "project.toml": f'[_]\nschema-version = "0.2"\n\n[[io.buildpacks.build.env]]\nname = "{setting}"\n'
                        'value = "true"\n'})
    bad = dockless("build", url, "--image", f"{registry.host}/{repo_name}:v0", "--env", f"{setting}=yes please",
                   docker_config=docker_config, cache_dir=build_cache)
    assert_clean_error(bad, 2, f"{setting} must be true or false, not 'yes please'")
    assert registry.tags(repo_name) == []

    run = dockless("build", url, "--image", f"{registry.host}/{repo_name}:v1",
                   docker_config=docker_config, cache_dir=build_cache)
    assert run.code == 0, run.stderr
    assert f"{setting}: paths that are no file and have no dot in their last segment are answered with " \
           "index.html (200)" in run.stderr, run.stderr
    pinned = run.last_line
    with serving(pinned, docker_config=docker_config) as site:
        home = site.get("/")
        assert home.status == 200 and "hello from a static site" in home.body
        for route in ("/some/client/route", "/users/42/", "/users/42?tab=a.b"):
            answer = site.get(route)
            assert answer.status == 200 and answer.body == home.body, route  # the root index.html
            assert answer.headers["cache-control"] == "no-cache", route  # revalidated, never immutable
            assert answer.headers["content-type"] == "text/html; charset=utf-8"
        head = site.get("/some/client/route", method="HEAD")
        assert head.status == 200 and head.body == "" and head.headers["cache-control"] == "no-cache"
        about = site.get("/about")  # a directory with an index: redirected to /about/ and served, as before
        assert about.status == 200 and "about this site" in about.body
        asset = site.get("/assets/app-3f9c2b1a.js")
        assert asset.status == 200 and asset.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert site.get("/assets/site.css").headers["cache-control"] == "max-age=3600"
        for missing in ("/assets/app-9f8e7d6c.js", "/favicon.ico", "/old-page.html"):  # files keep their 404
            gone = site.get(missing)
            assert gone.status == 404 and "static-site: no such page" in gone.body, missing
            assert gone.headers.get("cache-control", "no-cache") == "no-cache", missing  # .html: a page's
        for hidden in ("/.env", "/.missing", "/.git/HEAD", "/%2eenv"):  # refused, found or not
            denied = site.get(hidden)
            assert denied.status == 403 and "not-for-the-web" not in denied.body, hidden
        assert site.stop() == 0

    # the same commit again: the same digest
    again = dockless("build", url, "--image", f"{registry.host}/{repo_name}:v2",
                     docker_config=docker_config, cache_dir=build_cache)
    assert again.code == 0, again.stderr
    assert again.last_line.split("@")[1] == pinned.split("@")[1]
