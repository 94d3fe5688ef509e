"""What a Rails app needs to start from a read-only image: a writable tmp/, a secret key base, no stale pid.

Heroku runs Rails on a writable, throw-away filesystem and sets the
`SECRET_KEY_BASE` config var for every Rails app it deploys. A dockless image
runs as a non-root user, often with `docker run --read-only --tmpfs /tmp`, and
carries no secret. Two things then stop Rails 6.1 - 7.0:

- `rails server` creates tmp/cache, tmp/pids and tmp/sockets and writes
  tmp/pids/server.pid under the app (Rails::Server#create_tmp_directories):
  EROFS at start. The app's `tmp` becomes a symlink to /tmp, the container's
  scratch space (Rails' convention: tmp/ is scratch, never committed content).
- Production raises "Missing `secret_key_base`" on the first request that
  touches cookies when neither SECRET_KEY_BASE nor credentials give one.
  A secret must not be baked into an image, so at launch a small Ruby file,
  loaded by every Ruby process through RUBYOPT, sets a random
  SECRET_KEY_BASE for that process when none is set, and says so on stderr:
  the app starts and serves; sessions do not outlive a restart until the
  operator sets SECRET_KEY_BASE (as on Heroku, a config var).
- `docker restart` keeps the container's files, so tmp/pids/server.pid
  from the last run names PID 1 - the new server itself, which then refuses
  to start ("A server is already running", Rack::Server#check_pid!). The
  same file drops a pid file naming its own process: at this process's
  start it can only be stale.

And one thing stops the same commit from building to the same image:
`assets:precompile` with sprockets names its manifest
`.sprockets-manifest-<random hex>.json` and records each source's mtime (a
checkout's time) in it and in the gzip header of every `.gz` it writes.
`reproducible_assets` rewrites those after the build: mtimes to a fixed
instant, the manifest's name to a digest of its content (Sprockets finds it by
the pattern `.sprockets-manifest-[0-9a-f]{32}.json`, any hex will do).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

LAUNCH_FILE = "launch.rb"
FIXED_MTIME = "1980-01-01T00:00:01+00:00"  # the fixed instant of reproducible archives (zip's epoch)
_MANIFEST = re.compile(r"^\.sprockets-manifest-[0-9a-f]{32}\.json$")
LAUNCH_RUBY = """\
# Written by dockless's Ruby buildpack, loaded through RUBYOPT by every Ruby process of the image.
# A Rails app in production needs SECRET_KEY_BASE; when the operator set none, this process gets
# a random one (not stored anywhere).
if ENV["SECRET_KEY_BASE"].to_s.empty?
  require "securerandom"
  ENV["SECRET_KEY_BASE"] = SecureRandom.hex(64)
  unless ENV["DOCKLESS_SECRET_KEY_BASE_WARNED"]
    ENV["DOCKLESS_SECRET_KEY_BASE_WARNED"] = "1"
    $stderr.puts "dockless: SECRET_KEY_BASE is not set; using a random key for this container " \\
                 "(sessions end when it restarts): run with -e SECRET_KEY_BASE=..."
  end
end
# A pid file naming this very process is left from an earlier run of the container (docker restart):
# Rails would take it for a running server and refuse to start.
begin
  pidfile = File.join(Dir.pwd, "tmp", "pids", "server.pid")
  File.delete(pidfile) if File.read(pidfile).to_i == Process.pid
rescue SystemCallError
end
"""


def scratch_tmp(app: Path) -> str:
    """Make `app`/tmp a symlink to /tmp; return a sentence for the build log.

    What the build left in tmp/ (sprockets' cache from assets:precompile) is
    dropped: it is cache, and it would make the image depend on build timing.
    """
    tmp = app / "tmp"
    if tmp.is_symlink():
        tmp.unlink()
    elif tmp.is_dir():
        shutil.rmtree(tmp)
    elif tmp.exists():
        tmp.unlink()
    tmp.symlink_to("/tmp")
    return "tmp/ -> /tmp: Rails writes its pid file and caches there, and the image may run read-only"


def write_launch_file(layer: Path) -> Path:
    """Write LAUNCH_RUBY into the directory `layer` (created); return the file's host path."""
    layer.mkdir(parents=True, exist_ok=True)
    path = layer / LAUNCH_FILE
    path.write_text(LAUNCH_RUBY)
    return path


def reproducible_assets(assets: Path) -> int:
    """Rewrite what sprockets left time-dependent under `assets` (public/assets); the number of files changed.

    The manifest: every `files.*.mtime` set to FIXED_MTIME, renamed to
    `.sprockets-manifest-<sha256 of its content, 32 hex>.json`. Every `.gz`: the gzip
    header's MTIME field (bytes 4-7, RFC 1952 2.3) zeroed; the CRC covers the
    data only, so the file stays valid. A missing directory changes nothing.
    """
    if not assets.is_dir():
        return 0
    changed = 0
    for path in sorted(assets.rglob("*.gz")):
        data = path.read_bytes()
        if len(data) > 8 and data[:2] == b"\x1f\x8b" and data[4:8] != b"\0\0\0\0":
            path.write_bytes(data[:4] + b"\0\0\0\0" + data[8:])
            changed += 1
    for path in sorted(p for p in assets.iterdir() if _MANIFEST.match(p.name)):
        manifest = json.loads(path.read_text(encoding="utf-8"))
        for entry in (manifest.get("files") or {}).values():
            if isinstance(entry, dict) and "mtime" in entry:
                entry["mtime"] = FIXED_MTIME
        text = json.dumps(manifest, sort_keys=True, separators=(",", ":"))
        target = assets / f".sprockets-manifest-{hashlib.sha256(text.encode()).hexdigest()[:32]}.json"
        path.unlink()
        target.write_text(text, encoding="utf-8")
        changed += 1
    return changed
