"""The lighttpd configuration that serves a static site: written at build, reading $PORT at start.

lighttpd (Debian's `lighttpd`, about 1 MB with its libraries) is a small,
long-maintained server that needs no shell wrapper here: its configuration
reads the environment itself (`server.port = env.PORT`), it runs in the
foreground as whatever user starts it (`-D`, no `server.username`), writes
nothing but uploads (sent to /tmp), logs errors to stderr and exits on
SIGTERM, so the image runs with a read-only root and only /tmp writable.

Caching, per request path ($HTTP["url"], without the query string):

    *.html, directories (index.html)     Cache-Control: no-cache
    the site's fingerprinted files       Cache-Control: public, max-age=31536000, immutable
    anything else (images, robots.txt…)  Cache-Control: max-age=3600, on successful answers only (mod_expire)

The fingerprinted files are listed by name at build (`fingerprinted`), so a
404 for a hash the site does not have is never cached: during a rollout a
page of the new release may ask a server of the old one. Other 404s carry no
Cache-Control and no validator, so no cache keeps them.

Validators are off: every file of an image has the same modification time
(layers are reproducible, so mtimes are fixed) and lighttpd's ETag is made of
the inode, size and mtime, so a changed page of the same size could be
answered `304 Not Modified` from a stale copy. Without ETag and Last-Modified
a no-cache page is fetched again in full, which is small, while fingerprinted
assets are never asked for twice.

Dot files (.env, .git/) are refused with 403, except /.well-known/ (HIDDEN).
Text (HTML, CSS, JavaScript, JSON, SVG) is compressed for clients that accept
br or gzip (mod_deflate, Debian's lighttpd-mod-deflate).

A 404 is answered with the site's 404.html when there is one
(`server.errorfile-prefix` serves `<prefix>404.html` for status 404), else
lighttpd's own short page.

With the single-page-app fallback (BP_WEB_SERVER_ENABLE_PUSH_STATE, rule in
pushstate.py) mod_rewrite (built into Debian's lighttpd) answers client routes
with /index.html: `url.rewrite-if-not-file`, with the site's directories that
hold an index left out by name. Response headers are picked on the path as
asked, so client routes get their own `no-cache` branch.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from pathlib import Path

from . import pushstate

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
DEFAULT_SECONDS = 3600
DEFAULT = f"max-age={DEFAULT_SECONDS}"
_PLAIN = re.compile(r"/[A-Za-z0-9._/@+~-]*")

_HASH = re.compile(r"(?=[-.]([A-Za-z0-9_-]{8}|[0-9a-f]{8,32})((?:\.[A-Za-z0-9]+)+)$)")
_BUNDLER_DIRS = re.compile(r"(^|/)(assets|_astro|static|_next/static|_app/immutable)(/|$)")
HIDDEN = r"/\.(?!well-known(/|$))"
"""Dot files and directories (.git/, .env, .htpasswd) are refused with 403, as web servers' defaults for
them do; /.well-known/ (RFC 8615: security.txt, ACME challenges) is served."""

PAGE = r"(/|\.html?)$"
"""Pages: a directory (served as its index.html) or an .html file."""

MIME_TYPES = (
    (".html", "text/html; charset=utf-8"), (".htm", "text/html; charset=utf-8"),
    (".css", "text/css; charset=utf-8"), (".js", "text/javascript; charset=utf-8"),
    (".mjs", "text/javascript; charset=utf-8"), (".json", "application/json"),
    (".map", "application/json"), (".webmanifest", "application/manifest+json"),
    (".xml", "application/xml"), (".txt", "text/plain; charset=utf-8"), (".md", "text/markdown; charset=utf-8"),
    (".csv", "text/csv; charset=utf-8"), (".svg", "image/svg+xml"), (".png", "image/png"),
    (".jpg", "image/jpeg"), (".jpeg", "image/jpeg"), (".gif", "image/gif"), (".webp", "image/webp"),
    (".avif", "image/avif"), (".ico", "image/x-icon"), (".bmp", "image/bmp"), (".woff", "font/woff"),
    (".woff2", "font/woff2"), (".ttf", "font/ttf"), (".otf", "font/otf"),
    (".eot", "application/vnd.ms-fontobject"), (".wasm", "application/wasm"), (".pdf", "application/pdf"),
    (".zip", "application/zip"), (".gz", "application/gzip"), (".mp4", "video/mp4"), (".webm", "video/webm"),
    (".mp3", "audio/mpeg"), (".ogg", "audio/ogg"), (".wav", "audio/wav"), (".vtt", "text/vtt; charset=utf-8"),
    ("", "application/octet-stream"),
)
"""Extension -> Content-Type; lighttpd picks the longest matching suffix, "" is the fallback."""

SERVER = "/usr/sbin/lighttpd"
MODULES = ("mod_access", "mod_expire", "mod_setenv", "mod_deflate")
"""Loaded in this order; mod_rewrite follows them when the fallback is on (all but mod_deflate are built
into Debian's lighttpd 1.4.79, mod_deflate comes with lighttpd-mod-deflate)."""
PACKAGES = ("lighttpd", "lighttpd-mod-deflate")
COMPRESSED = ("text/html", "text/css", "text/javascript", "text/plain", "text/markdown", "text/csv",
              "application/json", "application/manifest+json", "application/xml", "image/svg+xml",
              "application/wasm")
"""Content types sent compressed (br, else gzip) to clients that accept it; images and fonts are compressed
already. mod_deflate compresses on the fly (no cache directory: the root is read-only) and adds
`Vary: Accept-Encoding`."""


def is_fingerprinted(url_path: str) -> bool:
    """True when `url_path` names a file with a content hash before its extension, as bundlers write them:

        /assets/index-BxY3kz9a.js          Vite / Rollup: `-` + 8 base64url characters
        /static/js/main.3f2a1b4c.chunk.js  webpack / Create React App: `.` + 8 to 32 hex digits
        /main.1a2b3c4d5e6f7a8b.js          Angular

    The hash must hold a digit and a letter, so words (`OpenSans-SemiBold.woff2`,
    `my-component.js`) and dates (`report-20240101.pdf`) are not taken for one.
    In the directories bundlers write hashed files to (assets/, static/, _astro/,
    _next/static/, _app/immutable/) an 8-character hash of upper- and lower-case
    letters is one too (one Vite hash in four has no digit). HTML is never
    immutable. A name wrongly taken for a hash would be cached for a year.
    """
    if re.search(PAGE, url_path):
        return False
    directory, _, name = url_path.rpartition("/")
    bundled = bool(_BUNDLER_DIRS.search(directory + "/"))
    for match in _HASH.finditer(name):
        digest = match.group(1)
        if any(c.isdigit() for c in digest) and any(c.isalpha() for c in digest):
            return True
        if bundled and len(digest) == 8 and any(c.isupper() for c in digest) and any(c.islower() for c in digest):
            return True
    return False


def fingerprinted(site: Path) -> list[str]:
    """The URL paths of the site's fingerprinted files, sorted ("/assets/index-BxY3kz9a.js").

    Only names of plain characters are listed (they go into a regular expression in a quoted
    string); any other file keeps the default lifetime.
    """
    found = []
    for path in sorted(site.rglob("*")):
        if path.is_file() and not path.is_symlink():
            url = "/" + path.relative_to(site).as_posix()
            if _PLAIN.fullmatch(url) and is_fingerprinted(url):
                found.append(url)
    return found


def cache_control(url_path: str, immutable: Collection[str]) -> str:
    """The Cache-Control the generated configuration sends with a 200 for `url_path` (rules above, in order);
    `immutable` holds the fingerprinted files' URL paths."""
    if re.search(PAGE, url_path):
        return REVALIDATE
    return IMMUTABLE if url_path in immutable else DEFAULT


def config(document_root: str, immutable: Sequence[str] = (), *, push_state: Sequence[str] | None = None) -> str:
    """lighttpd.conf text serving `document_root` (an absolute path in the image) on $PORT.

    `push_state`, when not None, turns on the single-page-app fallback (pushstate.py): it lists
    the paths the fallback leaves alone (`pushstate.kept`); mod_rewrite answers other client
    routes with /index.html, and the pages' no-cache goes with them.

    `immutable` lists the URL paths of the fingerprinted files (`fingerprinted`): matching them
    by name rather than by pattern keeps a 404 for a hash that does not exist (a page of a newer
    release asking an older server during a rollout) from being cached for a year. The same
    arguments give the same bytes: the file is part of a reproducible layer.
    """
    if not document_root.startswith("/") or not _PLAIN.fullmatch(document_root):
        raise ValueError(f"not a usable document root: {document_root!r}")
    mime = ",\n".join(f'  "{ext}" => "{kind}"' for ext, kind in MIME_TYPES)
    modules = ", ".join(f'"{m}"' for m in MODULES + (("mod_rewrite",) if push_state is not None else ()))
    text = f"""# Written by dockless's static buildpack: serves {document_root} on $PORT.
server.modules = ({modules})
server.document-root = "{document_root}"
server.port = env.PORT
server.tag = ""
server.upload-dirs = ("/tmp")
server.max-request-size = 64
server.errorfile-prefix = "{document_root.rstrip('/')}/"
index-file.names = ("index.html", "index.htm")
static-file.etags = "disable"
mimetype.use-xattr = "disable"
mimetype.assign = (
{mime}
)
expire.url = ("/" => "access plus {DEFAULT_SECONDS} seconds")
deflate.mimetypes = ({", ".join(f'"{kind}"' for kind in COMPRESSED)})
deflate.allowed-encodings = ("br", "gzip")
setenv.set-response-header = ({_headers()})
$HTTP["url"] =~ "{HIDDEN}" {{
  url.access-deny = ("")
}}
$HTTP["url"] =~ "{PAGE}" {{
  setenv.set-response-header = ({_headers(REVALIDATE)})
}}
"""
    if immutable:
        names = "|".join(re.escape(url) for url in immutable)
        text += f"""else $HTTP["url"] =~ "^(?:{names})$" {{
  setenv.set-response-header = ({_headers(IMMUTABLE)})
}}
"""
    if push_state is not None:
        text += _fallback(push_state)
    return text


def _fallback(kept: Sequence[str]) -> str:
    """The else-branches that give client routes the pages' no-cache (response headers are picked on the
    path as asked, before the rewrite), and the rewrite itself (pushstate.py has the rule)."""
    text = ""
    if kept:
        names = "|".join(re.escape(url) for url in kept)
        text += f"""else $HTTP["url"] =~ "^(?:{names})$" {{
  setenv.set-response-header = ({_headers()})
}}
"""
    return text + f"""else $HTTP["url"] =~ "{pushstate.CLIENT_ROUTE}" {{
  setenv.set-response-header = ({_headers(REVALIDATE)})
}}
url.rewrite-if-not-file = ("{pushstate.rewrite_pattern(kept)}" => "{pushstate.TARGET}")
"""


def _headers(cache: str = "") -> str:
    control = f'"Cache-Control" => "{cache}", ' if cache else ""
    return f'{control}"Last-Modified" => "", "X-Content-Type-Options" => "nosniff"'


def command(config_path: str) -> tuple[str, ...]:
    """The launch argv: lighttpd in the foreground (PID 1, stops on SIGTERM) with the generated config."""
    return (SERVER, "-D", "-f", config_path)
