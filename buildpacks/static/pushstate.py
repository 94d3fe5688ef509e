"""The single-page-app fallback: client routes (/users/42) answered with the site's root index.html.

Turned on by BP_WEB_SERVER_ENABLE_PUSH_STATE, the variable of Paketo's
web-server buildpacks (nginx `try_files $uri $uri/ /index.html`), so a setting
carried over from Paketo keeps working. It is read from the build env
(`--env`, project.toml `[[build.env]]`) like the other BP_* settings, and its
value as Paketo's Go buildpacks read booleans (Go's strconv.ParseBool):

    1 t T true TRUE True     on
    0 f F false FALSE False  off (as is an unset or empty variable)

Anything else is a UsageError (exit 2) naming the variable and these values.

The rule (`is_rewritten`): a request (GET, HEAD) for a path that is no file of the site
and no directory of it with an index is answered with /index.html, status 200,
unless

- the last segment of the path holds a dot (`/assets/app.1234abcd.js`,
  `/favicon.ico`, `/old.html`): the page asked for a file, and a missing file
  keeps its 404 (the site's 404.html, no Cache-Control). An HTML page sent with
  200 under a script's URL would be cached there by browsers and CDNs and fail
  to run; during a rollout a page of the new release asks an old server for
  assets it lacks. This is the "dot rule" of connect-history-api-fallback, the
  history fallback of webpack-dev-server and of Vite's dev server, so the built
  app answers as it did under `npm run dev`. The cost, the same as there: a
  client route whose last segment holds a dot (`/users/john.doe`) gets a 404;
  such an app links `/users/john.doe/` instead. (Paketo's try_files answers
  index.html for those too; Heroku's static.json routes answer what the app
  lists.)
- a segment starts with a dot: lighttpd refuses /.env and /.git/HEAD with 403
  before a rewrite is looked at (HIDDEN in lighttpd.py), whether they exist or
  not, and the rule skips every dot path too, so a missing one never becomes a
  page (a missing /.well-known/ file keeps its 404).

Directories: lighttpd's `url.rewrite-if-not-file` takes a directory for "not a
file", so the site's directories that hold an index.html, and its files whose
name has no dot (/LICENSE), are listed at build (`kept`) and left out of the
rule: /about redirects to /about/ and /about/ serves about/index.html as
before. A directory without an index (/assets/) gets the app. The query string
is kept out of the match (`/a?x=1.2` is a route) and dropped from the
rewritten request: the browser keeps it in location.search.

Caching: lighttpd picks response headers on the path as asked, so a client
route (`CLIENT_ROUTE`, not in `kept`) is given the pages' `no-cache` there;
index.html is never sent `immutable`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from builder.errors import BuildError, UsageError

SETTING = "BP_WEB_SERVER_ENABLE_PUSH_STATE"
TRUE = ("1", "t", "T", "true", "TRUE", "True")
FALSE = ("0", "f", "F", "false", "FALSE", "False")
TARGET = "/index.html"
INDEXES = ("index.html", "index.htm")
"""lighttpd's index-file.names (lighttpd.py): a directory holding one is served, not rewritten."""

CLIENT_ROUTE = r"^(?!.*/\.).*/[^/.]*$"
"""Paths ($HTTP["url"], no query) shaped like a client route: no segment starts with a dot, the last
holds none. PCRE and Python read it alike."""

_LISTED = re.compile(r"(/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)+")
"""Paths that go into the rule by name: unreserved characters only, which clients send as they are."""


def enabled(env: Mapping[str, str]) -> bool:
    """Whether BP_WEB_SERVER_ENABLE_PUSH_STATE turns the fallback on (values in the module docstring).

    Raises UsageError (exit 2) for any other value.
    """
    value = env.get(SETTING, "").strip()
    if value in TRUE:
        return True
    if value in FALSE or not value:
        return False
    raise UsageError(f"{SETTING} must be true or false, not '{value}'",
                     f"set {SETTING} to one of {', '.join(TRUE + FALSE)}, or leave it unset")


def check_index(site: Path, shown: str) -> None:
    """BuildError (exit 5) unless the site's root index.html (`site` / index.html) is a regular file.

    `shown` is the site directory as the log names it ("dist/", "" for the app's root). A link is
    refused: every client route is answered with this file, so it must be the site's own.
    """
    index = site / TARGET.lstrip("/")
    if not index.is_file() or index.is_symlink():
        raise BuildError(f"{SETTING}=true answers client routes with {shown}index.html, which is "
                         f"{'a link' if index.is_symlink() else 'missing'}",
                         f"put the app's index.html at the root of {shown or 'the site'} as a file, "
                         f"or unset {SETTING}")


def kept(site: Path) -> list[str]:
    """The URL paths the rule leaves alone although they look like client routes, sorted:
    the site's directories holding an index ("/about"; not the root, which is always kept) and
    its files without a dot in their name ("/LICENSE"). Dot paths and names with other than
    unreserved characters are not listed (a directory of such a name gets the app).
    """
    found = []
    for path in sorted(site.rglob("*")):
        url = "/" + path.relative_to(site).as_posix()
        if not _LISTED.fullmatch(url) or path.is_symlink():
            continue
        if path.is_dir() and any((path / name).is_file() for name in INDEXES):
            found.append(url)
        elif path.is_file() and "." not in path.name:
            found.append(url)
    return found


def rewrite_pattern(kept_paths: Sequence[str]) -> str:
    """The regular expression of lighttpd's url.rewrite-if-not-file, matched against the request's
    path and query ("/users/42?tab=1"): a client route that is not the root nor in `kept_paths`."""
    names = "|".join(["", *(re.escape(p) for p in kept_paths)])  # "" is the root
    return rf"^(?!(?:{names})/?(?:\?|$))(?![^?]*/\.)[^?]*/[^/.?]*(?:\?.*)?$"


def is_rewritten(uri: str, kept_paths: Sequence[str]) -> bool:
    """True when a request for `uri` ("/users/42?tab=1") that is no file is answered with index.html."""
    return re.search(rewrite_pattern(kept_paths), uri) is not None
