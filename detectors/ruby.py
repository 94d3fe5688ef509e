"""The Ruby detector: is this a Bundler app, and which Ruby, Bundler and start command does it ask for?

It follows what Heroku's and Paketo's Ruby buildpacks read, so an app that
builds there builds here unchanged:

    Ruby version   Gemfile.lock RUBY VERSION > Gemfile `ruby "x"` (or `ruby file: ".ruby-version"`)
                   > .ruby-version > BP_RUBY_VERSION (build env) > the stack's Ruby
    Bundler        Gemfile.lock BUNDLED WITH (the major must match the stack's bundler)
    start command  Procfile web > Rails (bin/rails) > config.ru (puma when locked, else rackup) > app.rb

Heroku's order puts the lockfile first because it is what `bundle install`
last resolved against; `.ruby-version` is what rbenv/rvm users write. A
.ruby-version is read as rbenv reads it: the first value line, without a UTF-8
byte order mark, `ruby-` or CRLF; the word `system` (rbenv's name for the Ruby
already installed) means the stack's Ruby. A request that is neither a version
nor a RubyGems requirement (`~> 3.3`, `>= 3.1, < 4`) is a UsageError (exit 2)
naming where it came from, as a malformed .python-version is. It
provides `ruby` and requires it with these metadata (all strings):

    ruby / ruby_source       the version request as written ("3.3.4", "~> 3.3") and where it came from
    bundler                  BUNDLED WITH, else ""
    lockfile                 "true" when Gemfile.lock exists
    gems                     "true" when the Gemfile declares gems (else there is nothing to install)
    platforms                the lockfile's PLATFORMS, comma-separated
    start / start_command    where the start command came from, and its text ("" when none)
    rails / assets           "true" for a Rails app / when it can precompile assets

When a package.json is present it also requires `node` at build only (Rails
asset pipelines run yarn/esbuild; `launch = "false"`, as the static buildpack
asks), so the group [nodejs (optional), ruby] brings Node.js to the build and
none of it ships; without one it asks nothing of nodejs, and an optional nodejs that
fails leaves the group valid.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from builder.errors import UsageError
from builder.lifecycle.contract import Detection, Require

from ._files import first_value_line, read_procfile

_SECTION = re.compile(r"^[A-Z][A-Z ]*$")
_SPEC = re.compile(r"^    (\S+) \(([^)]+)\)$")
_RUBY_LINE = re.compile(r"""^\s*ruby\s*\(?\s*(.*?)\)?\s*(#.*)?$""")
_GEM_LINE = re.compile(r"""^\s*gem\s*\(?\s*['"]""", re.MULTILINE)
_STRING = re.compile(r"""['"]([^'"]+)['"]""")
# One RubyGems requirement as dockless reads it (buildpacks.ruby.versions): an operator and a version prefix.
CONSTRAINT = re.compile(r"^\s*(~>|>=|<=|!=|=|>|<)?\s*v?(\d+(?:\.\d+)*)")
SYSTEM = "system"


@dataclass(frozen=True)
class Lockfile:
    """What dockless reads from a Gemfile.lock: its gems, platforms, Ruby and Bundler versions."""

    specs: tuple[tuple[str, str], ...]  # (name, version[-platform]) of every locked gem
    platforms: tuple[str, ...]
    ruby: str
    bundler: str


def read_lockfile(path: Path) -> Lockfile | None:
    """The parsed Gemfile.lock at `path`, None when absent; a file Bundler would not read raises UsageError.

    The format is Bundler's LockfileParser's: top-level section names (GEM,
    PATH, GIT, PLATFORMS, DEPENDENCIES, RUBY VERSION, BUNDLED WITH), each
    followed by lines indented by two spaces (specs under `specs:` by four).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError as exc:
        raise UsageError(f"Gemfile.lock is not UTF-8 text (byte {exc.start})",
                         "regenerate it with `bundle lock`") from None
    section = ""
    specs: list[tuple[str, str]] = []
    platforms: list[str] = []
    ruby = bundler = ""
    sections: set[str] = set()
    for number, raw in enumerate(text.replace("\r\n", "\n").split("\n"), 1):
        line = raw.rstrip()
        if not line:
            continue
        if not line.startswith(" "):
            if not _SECTION.match(line) or "<<<<<<<" in line:
                raise UsageError(f"Gemfile.lock line {number} is not a section Bundler knows: {line[:60]!r}",
                                 "resolve the merge conflict or regenerate the file with `bundle lock`")
            section = line
            sections.add(section)
            continue
        if not section:
            raise UsageError(f"Gemfile.lock line {number} comes before any section", "regenerate it with `bundle lock`")
        if section in ("GEM", "PATH", "GIT"):
            match = _SPEC.match(line)
            if match:
                specs.append((match.group(1), match.group(2)))
        elif section == "PLATFORMS":
            platforms.append(line.strip())
        elif section == "RUBY VERSION":
            ruby = line.strip().removeprefix("ruby ").strip()
        elif section == "BUNDLED WITH":
            bundler = line.strip()
    if not sections & {"GEM", "PATH", "GIT", "DEPENDENCIES"}:
        raise UsageError("Gemfile.lock has no GEM or DEPENDENCIES section: it is not a Bundler lockfile",
                         "regenerate it with `bundle lock`")
    if bundler and not re.match(r"^\d+\.\d+", bundler):
        raise UsageError(f"Gemfile.lock BUNDLED WITH '{bundler}' is not a version", "regenerate it with `bundle lock`")
    return Lockfile(tuple(specs), tuple(platforms), ruby, bundler)


def lock_ruby_version(ruby: str) -> str:
    """`3.3.4p94` (Bundler writes the patchlevel) as `3.3.4`."""
    return re.sub(r"p\d+$", "", ruby.strip())


def gemfile_ruby(workspace: Path) -> tuple[str, str] | None:
    """The Gemfile's `ruby` directive as (request, source); `ruby file: ".ruby-version"` reads that file."""
    try:
        text = (workspace / "Gemfile").read_text(encoding="utf-8-sig", errors="replace")
    except FileNotFoundError:
        return None
    for line in text.splitlines():
        match = _RUBY_LINE.match(line)
        if not match or not match.group(1):
            continue
        args = match.group(1)
        named = re.search(r"""file:\s*['"]([^'"]+)['"]|:file\s*=>\s*['"]([^'"]+)['"]""", args)
        if named:
            name = named.group(1) or named.group(2)
            value = _version_file(workspace / name)
            if not value:
                raise UsageError(f"the Gemfile reads the Ruby version from {name}, which is missing or empty",
                                 f"write the version (e.g. 3.3.4) into {name}")
            return value, f"Gemfile ruby file: {name}"
        versions = [v for v in _STRING.findall(args.split("engine", 1)[0])]
        if versions:
            return ", ".join(versions), "Gemfile ruby directive"
    return None


def _version_file(path: Path) -> str:
    """A .ruby-version value: `ruby-3.3.4` and CRLF are tolerated, as rbenv and rvm do."""
    value = first_value_line(path) or ""
    return value.removeprefix("ruby-").strip()


def declares_gems(workspace: Path) -> bool:
    try:
        return bool(_GEM_LINE.search((workspace / "Gemfile").read_text(encoding="utf-8-sig", errors="replace")))
    except FileNotFoundError:
        return False


@dataclass(frozen=True)
class RubyDetector:
    """Passes on a Gemfile (with or without Gemfile.lock)."""

    id: str = "ruby"

    def detect(self, workspace: Path, env: Mapping[str, str], app_dir: str = "") -> Detection:
        root = workspace / app_dir
        if not (root / "Gemfile").is_file():
            return Detection(self.id, False, ("no Gemfile at the root",))
        lock = read_lockfile(root / "Gemfile.lock")
        requires: dict[str, str] = {"lockfile": "true" if lock else "false",
                                    "gems": "true" if declares_gems(root) else "false"}
        reasons = ["found Gemfile and Gemfile.lock" if lock else "found Gemfile (no Gemfile.lock)"]
        reasons.append(_ruby_version(root, lock, env, requires))
        requires["bundler"] = lock.bundler if lock else ""
        requires["platforms"] = ",".join(lock.platforms) if lock else ""
        if lock and lock.bundler:
            reasons.append(f"Bundler {lock.bundler} from Gemfile.lock BUNDLED WITH")
        reasons.append(_start(root, lock, requires))
        plan = [Require("ruby", requires)]
        if (root / "package.json").is_file():
            plan.append(Require("node", {"build": "true", "launch": "false"}))
            reasons.append("found package.json: Node.js is needed at build (assets)")
        return Detection(self.id, True, tuple(reasons), provides=("ruby",), requires=tuple(plan))


def _ruby_version(root: Path, lock: Lockfile | None, env: Mapping[str, str], requires: dict[str, str]) -> str:
    """Record the Ruby version request and its source; return the sentence saying so."""
    gemfile = gemfile_ruby(root)
    candidates = (
        ("Gemfile.lock RUBY VERSION", lock_ruby_version(lock.ruby) if lock else ""),
        (gemfile[1] if gemfile else "Gemfile ruby directive", gemfile[0] if gemfile else ""),
        (".ruby-version", _version_file(root / ".ruby-version")),
        ("BP_RUBY_VERSION", env.get("BP_RUBY_VERSION", "").strip()),
    )
    for source, spec in candidates:
        if source == ".ruby-version" and spec == SYSTEM:
            requires["ruby"], requires["ruby_source"] = "", ".ruby-version (system)"
            return ".ruby-version says 'system' (rbenv's word for the installed Ruby): the stack's Ruby"
        if spec:
            check_request(spec, source)
            requires["ruby"], requires["ruby_source"] = spec, source
            return f"Ruby '{spec}' from {source}"
    requires["ruby"], requires["ruby_source"] = "", "default"
    return "no Ruby version asked for (Gemfile.lock, Gemfile, .ruby-version): the stack's Ruby"


def check_request(spec: str, source: str) -> None:
    """UsageError (exit 2) unless every comma-separated part of `spec` starts as a RubyGems requirement
    (`3.3.4`, `~> 3.3`, `3.3.4@gemset`); `source` names where it came from."""
    if not all(CONSTRAINT.match(part) for part in spec.split(",")):
        shown = spec.encode("unicode_escape").decode() if not spec.isprintable() else spec
        raise UsageError(f"{source}: the Ruby version '{shown[:60]}' is not a version or a RubyGems requirement",
                         "write e.g. 3.3.4 or '~> 3.3' (a .ruby-version holds one version, or 'system' for the "
                         "stack's Ruby)")


def _start(root: Path, lock: Lockfile | None, requires: dict[str, str]) -> str:
    """Record where the start command comes from and its text; return the sentence saying so."""
    procfile = read_procfile(root)
    locked = {name for name, _ in lock.specs} if lock else set()
    rails = (root / "bin/rails").is_file() and (root / "config/application.rb").is_file()
    requires["rails"] = "true" if rails else "false"
    requires["assets"] = "true" if rails and ("sprockets" in locked or "propshaft" in locked) else "false"
    choices: list[tuple[str, str]] = []
    if "web" in procfile:
        choices.append(("Procfile web", procfile["web"]))
    if rails:
        choices.append(("Rails (bin/rails)", "bundle exec bin/rails server -b 0.0.0.0 -p ${PORT:-8080}"))
    if (root / "config.ru").is_file():
        if "puma" in locked:
            choices.append(("config.ru (puma is locked)", "bundle exec puma -b tcp://0.0.0.0:${PORT:-8080} config.ru"))
        else:
            choices.append(("config.ru (rackup)", "bundle exec rackup -o 0.0.0.0 -p ${PORT:-8080} config.ru"))
    if (root / "app.rb").is_file():
        choices.append(("app.rb", "bundle exec ruby app.rb" if locked else "ruby app.rb"))
    if not choices:
        requires["start"] = requires["start_command"] = ""
        return "no start command found: add a Procfile 'web:' line, a config.ru, or an app.rb"
    requires["start"], requires["start_command"] = choices[0]
    return f"starts with '{choices[0][1]}' from {choices[0][0]}"
