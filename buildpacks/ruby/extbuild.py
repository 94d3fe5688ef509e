"""What compiling a gem's C extension leaves in the gems layer that differs from one build to the next.

RubyGems builds an extension in a temporary directory named
`.gem.<YYYYMMDD>-<pid>-<random>` with a `siteconf<YYYYMMDD>-<pid>-<random>.rb`
(`Dir::Tmpname.create` in rubygems/ext/builder.rb and ext_conf_builder.rb,
RubyGems 3.3 as in Debian bookworm), and the names land in the build logs it
keeps: `gem_make.out` in extensions/<platform>/<abi>/<gem>/, and the
Makefile and mkmf.log beside the extension's sources. Nothing reads these
files at launch, but they would change the gems layer's digest on every cold
build (and every day). `normalize_build_logs` rewrites the names to a fixed one.
"""

from __future__ import annotations

import re
from pathlib import Path

LOG_NAMES = frozenset({"gem_make.out", "Makefile", "mkmf.log"})
_TMPNAME = re.compile(rb"(siteconf|\.gem\.)\d{8}-\d+-[0-9a-z]+")


def normalize_build_logs(gem_home: Path) -> int:
    """Rewrite RubyGems' temporary names in the build logs under `gem_home` (gems/ruby/<abi>); files changed."""
    changed = 0
    for sub in ("extensions", "gems"):
        root = gem_home / sub
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if path.name not in LOG_NAMES or path.is_symlink() or not path.is_file():
                continue
            data = path.read_bytes()
            fixed = _TMPNAME.sub(rb"\1dockless", data)
            if fixed != data:
                path.write_bytes(fixed)
                changed += 1
    return changed
