"""The native-gem package table and the Rails launch fixes, without a build (unit tests; e2e in test_e2e_rails.py)."""

from __future__ import annotations

import gzip
import json
import subprocess
from pathlib import Path

from buildpacks.ruby.extbuild import normalize_build_logs
from buildpacks.ruby.native import NATIVE_GEMS, native_packages
from buildpacks.ruby.rails import FIXED_MTIME, LAUNCH_RUBY, reproducible_assets, scratch_tmp, write_launch_file

OFFERS = {"libssl3": {"bookworm": "3.0"}, "libssl3t64": {"trixie": "3.5"},
          "libxml2": {"bookworm": "2.9", "trixie": "2.12"}}


def offered(name: str) -> dict[str, str]:
    return OFFERS.get(name, {})


def test_only_locked_native_gems_ask_for_packages_named_as_the_suite_names_them() -> None:
    assert native_packages(["rack", "sinatra"], offered, "trixie") == native_packages([], offered, "trixie")
    bookworm = native_packages(["rack", "puma", "nokogiri", "nio4r"], offered, "bookworm")
    assert bookworm.names == ("nokogiri", "puma")
    assert bookworm.build == ("libxml2-dev", "libxslt1-dev", "libssl-dev")
    assert bookworm.launch == ("libxml2", "libxslt1.1", "libssl3")
    assert native_packages(["puma"], offered, "trixie").launch == ("libssl3t64",)  # the t64 transition
    pg = native_packages(["pg", "pg"], offered, "trixie")
    assert (pg.build, pg.launch) == (("libpq-dev",), ("libpq5",))


def test_every_gem_has_dev_packages_at_build_and_no_dev_package_at_launch() -> None:
    for gem, needs in NATIVE_GEMS.items():
        assert needs.build and needs.launch, gem
        assert all(name.endswith("-dev") for options in needs.build for name in options), gem
        assert not any(name.endswith("-dev") for options in needs.launch for name in options), gem


def test_tmp_becomes_a_symlink_to_slash_tmp_whatever_was_there(tmp_path: Path) -> None:
    (tmp_path / "tmp" / "cache" / "assets").mkdir(parents=True)
    (tmp_path / "tmp" / "cache" / "assets" / "x").write_text("build-time cache")
    assert "tmp/ -> /tmp" in scratch_tmp(tmp_path)
    assert (tmp_path / "tmp").is_symlink() and str((tmp_path / "tmp").readlink()) == "/tmp"
    scratch_tmp(tmp_path)  # again: still one symlink
    assert str((tmp_path / "tmp").readlink()) == "/tmp"


def test_the_secret_loader_sets_a_random_key_only_when_none_is_set(tmp_path: Path) -> None:
    loader = write_launch_file(tmp_path / "rails")
    assert loader.read_text() == LAUNCH_RUBY
    script = 'print ENV["SECRET_KEY_BASE"]'
    unset = subprocess.run(["ruby", f"-r{loader}", "-e", script], capture_output=True, text=True,
                           env={"PATH": "/usr/bin:/bin"}, check=True)
    assert len(unset.stdout) == 128 and "SECRET_KEY_BASE is not set" in unset.stderr
    given = subprocess.run(["ruby", f"-r{loader}", "-e", script], capture_output=True, text=True,
                           env={"PATH": "/usr/bin:/bin", "SECRET_KEY_BASE": "given"}, check=True)
    assert (given.stdout, given.stderr) == ("given", "")


def test_sprockets_output_loses_its_times_and_random_manifest_name(tmp_path: Path) -> None:
    assets = tmp_path / "public" / "assets"
    assets.mkdir(parents=True)
    (assets / "application-abc.css.gz").write_bytes(gzip.compress(b"h1{}", mtime=1_700_000_000))
    entry = {"logical_path": "application.css", "mtime": "2026-11-30T19:00:00+00:00", "digest": "abc"}
    manifest = {"files": {"application-abc.css": entry}, "assets": {"application.css": "application-abc.css"}}
    (assets / ".sprockets-manifest-0123456789abcdef0123456789abcdef.json").write_text(json.dumps(manifest))
    assert reproducible_assets(assets) == 2
    gz = (assets / "application-abc.css.gz").read_bytes()
    assert gz[4:8] == b"\0\0\0\0" and gzip.decompress(gz) == b"h1{}"
    [renamed] = [p for p in assets.iterdir() if p.name.startswith(".sprockets-manifest-")]
    assert renamed.name != ".sprockets-manifest-0123456789abcdef0123456789abcdef.json"
    assert json.loads(renamed.read_text())["files"]["application-abc.css"]["mtime"] == FIXED_MTIME
    assert reproducible_assets(assets) == 1 and renamed.exists()  # idempotent: same name for the same content
    assert reproducible_assets(tmp_path / "missing") == 0


def test_rubygems_temporary_names_leave_the_extension_build_logs(tmp_path: Path) -> None:
    out = tmp_path / "extensions" / "x86_64-linux" / "3.1.0" / "puma-5.6.5" / "gem_make.out"
    out.parent.mkdir(parents=True)
    out.write_text("ruby -r ./siteconf20261130-2-crcenc.rb extconf.rb\ninstall x.so ./.gem.20261130-2-xi5ogb/puma\n")
    makefile = tmp_path / "gems" / "puma-5.6.5" / "ext" / "puma_http11" / "Makefile"
    makefile.parent.mkdir(parents=True)
    makefile.write_text("sitearchdir = $(DESTDIR)./.gem.20261201-7-zz9\n")
    source = tmp_path / "gems" / "puma-5.6.5" / "lib" / "puma.rb"
    source.parent.mkdir(parents=True)
    source.write_text("# .gem.20261130-2-abc stays: not a build log\n")
    assert normalize_build_logs(tmp_path) == 2
    assert out.read_text() == "ruby -r ./siteconfdockless.rb extconf.rb\ninstall x.so ./.gem.dockless/puma\n"
    assert makefile.read_text() == "sitearchdir = $(DESTDIR)./.gem.dockless\n"
    assert "20261130" in source.read_text()


def test_a_pid_file_naming_the_starting_process_itself_is_dropped_and_another_kept(tmp_path: Path) -> None:
    """`docker restart`: tmp/pids/server.pid says 1, and the new server is PID 1 again."""
    loader = write_launch_file(tmp_path / "rails")
    pids = tmp_path / "app" / "tmp" / "pids"
    pids.mkdir(parents=True)
    script = f'echo $$ > tmp/pids/server.pid; exec ruby -r{loader} -e \'print File.exist?("tmp/pids/server.pid")\''
    own = subprocess.run(["sh", "-c", script], cwd=tmp_path / "app", capture_output=True, text=True, check=True,
                         env={"PATH": "/usr/bin:/bin", "SECRET_KEY_BASE": "k"})
    assert own.stdout == "false"
    (pids / "server.pid").write_text("999999999\n")
    other = subprocess.run(["ruby", f"-r{loader}", "-e", 'print File.exist?("tmp/pids/server.pid")'],
                           cwd=tmp_path / "app", capture_output=True, text=True, check=True,
                           env={"PATH": "/usr/bin:/bin", "SECRET_KEY_BASE": "k"})
    assert other.stdout == "true"
