"""The Ruby detector and version rules on real files: which Ruby wins, and why; bad lockfiles; Node.js for assets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from buildpacks.ruby.build import _check_bundler, _check_platforms, _direct_shebangs
from buildpacks.ruby.inventory import gem_components, gem_purl
from buildpacks.ruby.versions import check_exact, pick_series, series_accepts
from builder.errors import BuildError, UsageError
from detectors.ruby import RubyDetector, read_lockfile
from tests.e2e.cli import assert_clean_error, dockless

LOCK = """GEM
  remote: https://rubygems.org/
  specs:
    nokogiri (1.16.7-x86_64-linux)
    rack (2.2.22)

PLATFORMS
  x86_64-linux

DEPENDENCIES
  rack

RUBY VERSION
   ruby 3.3.4p94

BUNDLED WITH
   2.6.7
"""


def app(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(text.encode())
    return tmp_path


def test_no_gemfile_fails_with_a_reason(tmp_path: Path) -> None:
    found = RubyDetector().detect(app(tmp_path, {"app.rb": "puts 1\n"}), {})
    assert not found.passed and found.reasons == ("no Gemfile at the root",)


@pytest.mark.parametrize(("files", "env", "version", "source"), [
    ({"Gemfile.lock": LOCK, "Gemfile": 'ruby "3.3.1"\n', ".ruby-version": "3.3.2\n"}, {"BP_RUBY_VERSION": "3.3.3"},
     "3.3.4", "Gemfile.lock RUBY VERSION"),
    ({"Gemfile": 'source "https://rubygems.org"\nruby "~> 3.3"\n', ".ruby-version": "3.3.2\n"}, {},
     "~> 3.3", "Gemfile ruby directive"),
    ({"Gemfile": 'ruby file: ".ruby-version"\n', ".ruby-version": "ruby-3.3.5\r\n"}, {},
     "3.3.5", "Gemfile ruby file: .ruby-version"),
    ({"Gemfile": "gem 'rack'\n", ".ruby-version": "# rbenv\r\nruby-3.3.6\r\n"}, {"BP_RUBY_VERSION": "3.3.3"},
     "3.3.6", ".ruby-version"),
    ({"Gemfile": "gem 'rack'\n"}, {"BP_RUBY_VERSION": "3.3.3"}, "3.3.3", "BP_RUBY_VERSION"),
    ({"Gemfile": "gem 'rack'\n"}, {}, "", "default"),
])
def test_ruby_version_order_and_the_reason_names_the_winner(tmp_path: Path, files: dict[str, str],
                                                            env: dict[str, str], version: str, source: str) -> None:
    found = RubyDetector().detect(app(tmp_path, files), env)
    meta = found.metadata("ruby")
    assert found.passed and found.provides == ("ruby",)
    assert (meta["ruby"], meta["ruby_source"]) == (version, source)
    assert any(source in reason or (source == "default" and "stack's Ruby" in reason) for reason in found.reasons)


@pytest.mark.parametrize("files", [
    {"Gemfile": "gem 'rack'\n", ".ruby-version": "\ufeff3.3.8\r\n"},
    {"Gemfile": '\ufeffruby file: ".ruby-version"\r\ngem "rack"\r\n', ".ruby-version": "\ufeff3.3.8\r\n"},
])
def test_a_byte_order_mark_and_crlf_are_not_part_of_the_version(tmp_path: Path, files: dict[str, str]) -> None:
    """rb2 of the trial: a Windows editor's .ruby-version, read directly or through the Gemfile."""
    meta = RubyDetector().detect(app(tmp_path, files), {}).metadata("ruby")
    assert meta["ruby"] == "3.3.8"
    assert pick_series(meta["ruby"], meta["ruby_source"]) == "3.3"


def test_ruby_version_system_means_the_stacks_ruby_with_a_reason(tmp_path: Path) -> None:
    found = RubyDetector().detect(app(tmp_path, {"Gemfile": "gem 'rack'\n", ".ruby-version": "system\n"}),
                                  {"BP_RUBY_VERSION": "3.1"})
    meta = found.metadata("ruby")
    assert (meta["ruby"], meta["ruby_source"]) == ("", ".ruby-version (system)")
    assert ".ruby-version says 'system' (rbenv's word for the installed Ruby): the stack's Ruby" in found.reasons
    assert pick_series(meta["ruby"], meta["ruby_source"]) == "3.3"


@pytest.mark.parametrize(("files", "env", "words"), [
    ({"Gemfile": "gem 'rack'\n", ".ruby-version": "latest\n"}, {}, ".ruby-version: the Ruby version 'latest'"),
    ({"Gemfile": 'ruby file: ".ruby-version"\n', ".ruby-version": "system\n"}, {},
     "Gemfile ruby file: .ruby-version: the Ruby version 'system'"),  # Bundler reads the file as a version
    ({"Gemfile": 'ruby "three"\n'}, {}, "Gemfile ruby directive: the Ruby version 'three'"),
    ({"Gemfile": "gem 'rack'\n"}, {"BP_RUBY_VERSION": "3.3,\u200bx"}, "BP_RUBY_VERSION: the Ruby version '3.3,\\u200bx'"),
])
def test_a_malformed_version_is_exit_2_naming_its_source(tmp_path: Path, files: dict[str, str], env: dict[str, str],
                                                         words: str) -> None:
    with pytest.raises(UsageError) as info:
        RubyDetector().detect(app(tmp_path, files), env)
    assert info.value.exit_code == 2 and words in info.value.message and "\n" not in info.value.message
    with pytest.raises(UsageError):  # the build-time reader agrees on the kind
        pick_series("latest", ".ruby-version")


def test_lockfile_bundler_platforms_and_start_command(tmp_path: Path) -> None:
    found = RubyDetector().detect(app(tmp_path, {"Gemfile": "gem 'puma'\n", "config.ru": "run x\n",
                                                 "Gemfile.lock": LOCK.replace("rack (2.2.22)", "puma (6.4.0)")}), {})
    meta = found.metadata("ruby")
    assert meta["bundler"] == "2.6.7" and meta["platforms"] == "x86_64-linux" and meta["lockfile"] == "true"
    assert meta["start_command"] == "bundle exec puma -b tcp://0.0.0.0:${PORT:-8080} config.ru"
    procfile = RubyDetector().detect(app(tmp_path, {"Procfile": "web: ruby app.rb\n"}), {}).metadata("ruby")
    assert (procfile["start"], procfile["start_command"]) == ("Procfile web", "ruby app.rb")


def test_rackup_when_puma_is_not_locked(tmp_path: Path) -> None:
    meta = RubyDetector().detect(app(tmp_path, {"Gemfile": "gem 'rack'\n", "config.ru": "run x\n",
                                                "Gemfile.lock": LOCK}), {}).metadata("ruby")
    assert meta["start_command"] == "bundle exec rackup -o 0.0.0.0 -p ${PORT:-8080} config.ru"


def test_node_is_required_only_with_a_package_json(tmp_path: Path) -> None:
    plain = RubyDetector().detect(app(tmp_path, {"Gemfile": ""}), {})
    assert [r.name for r in plain.requires] == ["ruby"]
    assets = RubyDetector().detect(app(tmp_path, {"package.json": "{}"}), {})
    assert [(r.name, dict(r.metadata)) for r in assets.requires][1] == ("node", {"build": "true", "launch": "false"})


@pytest.mark.parametrize("text", ["<<<<<<< HEAD\nGEM\n", "  remote: x\n", "just some text\n", "PLATFORMS\n  ruby\n"])
def test_malformed_lockfile_is_a_usage_error(tmp_path: Path, text: str) -> None:
    with pytest.raises(UsageError, match="Gemfile.lock"):
        RubyDetector().detect(app(tmp_path, {"Gemfile": "", "Gemfile.lock": text}), {})


def test_lockfile_specs_and_gem_purls(tmp_path: Path) -> None:
    lock = read_lockfile(app(tmp_path, {"Gemfile.lock": LOCK.replace("\n", "\r\n")}) / "Gemfile.lock")
    assert lock is not None and lock.specs == (("nokogiri", "1.16.7-x86_64-linux"), ("rack", "2.2.22"))
    assert gem_purl("nokogiri", "1.16.7-x86_64-linux") == "pkg:gem/nokogiri@1.16.7?platform=x86_64-linux"
    specs = tmp_path / "home" / "specifications"
    specs.mkdir(parents=True)
    (specs / "rack-2.2.22.gemspec").write_text("")
    assert [(c.name, c.version, c.purl) for c in gem_components(tmp_path / "home", lock.specs)] == [
        ("rack", "2.2.22", "pkg:gem/rack@2.2.22")]  # nokogiri is locked but not installed: not listed


@pytest.mark.parametrize(("request_", "ok"), [
    ("3.3.4", True), ("3.3", True), ("~> 3.3", True), ("~> 3.2", True), ("~> 3.2.0", False), (">= 3.1, < 4", True),
    ("3.1.4", False), ("~> 3.4", False), ("> 3.3.99", False), ("3", True), ("!= 3.3", False),
])
def test_series_accepts_rubygems_requirements(request_: str, ok: bool) -> None:
    assert series_accepts("3.3", request_) is ok


def test_an_impossible_ruby_lists_what_debian_offers() -> None:
    assert pick_series("~> 3.3", "Gemfile") == "3.3"
    with pytest.raises(BuildError) as info:
        pick_series("2.7.8", ".ruby-version")
    assert "bookworm has Ruby 3.1, trixie has Ruby 3.3" in info.value.message
    assert info.value.exit_code == 5


def test_the_group_brings_node_only_for_a_package_json(tmp_path: Path) -> None:
    """Through the real `dockless detect` (registry ORDER): [nodejs (optional), ruby] before the Node-only group."""
    plain = app(tmp_path / "plain", {"Gemfile": "", "app.rb": "puts 1\n"})
    run = dockless("detect", str(plain), "--json")
    assert run.code == 0, run.stderr
    assert json.loads(run.stdout)["group"] == ["ruby"]  # the optional nodejs failed: the group still passes
    rails = app(tmp_path / "rails", {"Gemfile": "", "app.rb": "\n", "package.json": '{"name": "assets"}'})
    report = json.loads(dockless("detect", str(rails), "--json").stdout)
    assert report["group"] == ["nodejs", "ruby"]
    node = app(tmp_path / "node", {"package.json": '{"name": "a", "scripts": {"start": "node a.js"}}'})
    assert json.loads(dockless("detect", str(node), "--json").stdout)["group"] == ["nodejs"]


def test_a_malformed_lockfile_is_exit_2_when_nothing_else_matches(tmp_path: Path) -> None:
    run = dockless("detect", str(app(tmp_path, {"Gemfile": "", "Gemfile.lock": "<<<<<<< HEAD\n"})))
    assert_clean_error(run, 2, "Gemfile.lock line 1 is not a section Bundler knows")


@pytest.mark.parametrize(("platforms", "ok"), [(("ruby",), True), (("x86_64-linux-gnu", "arm64-darwin"), True),
                                               (("arm64-darwin", "x86_64-darwin"), False), ((), True)])
def test_a_lockfile_must_list_a_platform_the_build_can_install(platforms: tuple[str, ...], ok: bool) -> None:
    if ok:
        _check_platforms(platforms)
    else:
        with pytest.raises(BuildError, match="bundle lock --add-platform x86_64-linux|not x86_64-linux or ruby"):
            _check_platforms(platforms)


def test_bundled_with_must_share_the_stack_bundlers_major() -> None:
    _check_bundler("2.3.5", "2.6.7")
    _check_bundler("", "2.6.7")
    with pytest.raises(BuildError, match="Bundler 1.17.3"):
        _check_bundler("1.17.3", "2.6.7")


def test_binstubs_get_a_shebang_the_run_image_can_execute(tmp_path: Path) -> None:
    (tmp_path / "rackup").write_text("#!/usr/bin/env ruby3.3\n# generated\n")
    (tmp_path / "tool").write_text("#!/bin/sh\necho\n")
    _direct_shebangs(tmp_path, "3.3")
    assert (tmp_path / "rackup").read_text() == "#!/usr/bin/ruby3.3\n# generated\n"
    assert (tmp_path / "tool").read_text() == "#!/bin/sh\necho\n"


def test_an_exact_gemfile_ruby_must_be_the_stacks_patch_release() -> None:
    for fine in ("~> 3.3", "3.3", ">= 3.3.1", "3.3.8"):
        check_exact(fine, "Gemfile ruby directive", "3.3.8")
    with pytest.raises(BuildError, match=r"asks for Ruby 3.3.4 exactly .* Debian trixie has Ruby 3.3.8"):
        check_exact("3.3.4", "Gemfile ruby directive", "3.3.8")


def test_a_rails_app_starts_rails_server_and_precompiles_when_it_has_an_asset_pipeline(tmp_path: Path) -> None:
    files = {"Gemfile": "gem 'rails'\n", "bin/rails": "#!/usr/bin/env ruby\n", "config/application.rb": "\n",
             "config.ru": "run Rails.application\n",
             "Gemfile.lock": LOCK.replace("rack (2.2.22)", "rack (2.2.22)\n    propshaft (1.1.0)")}
    meta = RubyDetector().detect(app(tmp_path, files), {}).metadata("ruby")
    assert meta["start_command"] == "bundle exec bin/rails server -b 0.0.0.0 -p ${PORT:-8080}"
    assert (meta["rails"], meta["assets"]) == ("true", "true")


def test_a_malformed_ruby_version_file_is_exit_2_through_the_cli(tmp_path: Path) -> None:
    """As a malformed .python-version is: the kind of a bad input file, not a failed build (exit 5)."""
    run = dockless("detect", str(app(tmp_path, {"Gemfile": "gem 'rack'\n", "config.ru": "run ->(e) { }\n",
                                                ".ruby-version": "\ufefflatest\r\n"})))
    assert_clean_error(run, 2, ".ruby-version: the Ruby version 'latest' is not a version")
