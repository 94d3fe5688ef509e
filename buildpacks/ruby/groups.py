"""A gem the app requires when it loads, but that Bundler leaves out of the image: caught at build.

`bundle install` runs without the `development:test` groups (BUNDLE_WITHOUT), as
Heroku's and Paketo's Ruby buildpacks do; an app whose own code requires a gem
that the Gemfile puts only in those groups then installs fine and dies at start
with a LoadError. The check reads the app's unconditional top-level requires
(`require "x"` at column 0, no modifier: a guarded or nested require is the
app's business) and asks Bundler which of the Gemfile's direct dependencies
belong only to left-out groups; a match is one line naming the file, the gem
and the group setting.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from builder.errors import BuildError

SKIP_DIRS = frozenset({"test", "spec", "features", "vendor", "node_modules", "tmp", "log", "db"})
_REQUIRE = re.compile(r"""^require\s*\(?\s*["']([A-Za-z0-9_./-]+)["']\s*\)?\s*(?:#.*)?$""")
MAX_FILES = 500

LEFT_OUT = """
require "bundler"
without = ENV.fetch("BUNDLE_WITHOUT", "").split(/[:\\s,]+/).reject(&:empty?).map(&:to_sym)
definition = Bundler::Definition.build(Bundler.default_gemfile, Bundler.default_lockfile, nil)
definition.dependencies.each do |dep|
  puts dep.name if !dep.groups.empty? && (dep.groups - without).empty?
end
"""
"""Ruby run in the app's directory with BUNDLE_GEMFILE set: prints each direct dependency that only
left-out groups hold, one per line."""


def top_level_requires(app: Path) -> dict[str, str]:
    """{required name: "file:line"} for the app's unconditional top-level requires (config.ru and *.rb)."""
    found: dict[str, str] = {}
    files = [app / "config.ru"] if (app / "config.ru").is_file() else []
    for path in sorted(app.rglob("*.rb")):
        rel = path.relative_to(app)
        if any(part in SKIP_DIRS or part.startswith(".") for part in rel.parts[:-1]):
            continue
        files.append(path)
        if len(files) >= MAX_FILES:
            break
    for path in files:
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        for number, line in enumerate(lines, 1):
            match = _REQUIRE.match(line.rstrip())
            if match and not match.group(1).startswith("."):
                found.setdefault(match.group(1), f"{path.relative_to(app)}:{number}")
    return found


def check_left_out(required: dict[str, str], left_out: Iterable[str], without: str) -> None:
    """BuildError (exit 5) when a required name is a gem that only left-out groups hold."""
    gems = set(left_out)
    for name, where in sorted(required.items(), key=lambda item: item[1]):
        candidates = {name, name.split("/", 1)[0], name.replace("/", "-")}
        hit = sorted(gems & candidates)
        if hit:
            raise BuildError(f"{where} requires '{name}', but the Gemfile has the gem {hit[0]} only in groups that "
                             f"BUNDLE_WITHOUT={without} leaves out of the image: the app would not start",
                             f"move gem '{hit[0]}' out of its development/test group, or build with "
                             "--env BUNDLE_WITHOUT=… naming only the groups the app does not need")
