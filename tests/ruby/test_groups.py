"""The app's top-level requires against the gems BUNDLE_WITHOUT leaves out."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.errors import BuildError
from buildpacks.ruby.groups import check_left_out, top_level_requires


def test_only_unconditional_top_level_requires_of_app_code_count(tmp_path: Path) -> None:
    (tmp_path / "app.rb").write_text('require "sinatra"\nrequire("json") # parse\n  require "nested"\n'
                                     'require "pry" if ENV["DEBUG"]\nrequire_relative "lib/x"\nrequire "./local"\n')
    (tmp_path / "config.ru").write_text("require 'rack/cache'\nrun App\n")
    (tmp_path / "spec").mkdir()
    (tmp_path / "spec" / "app_spec.rb").write_text('require "rspec"\n')
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "x.rb").write_text('require "redis"\n')
    assert top_level_requires(tmp_path) == {"sinatra": "app.rb:1", "json": "app.rb:2", "rack/cache": "config.ru:1",
                                            "redis": "lib/x.rb:1"}


def test_a_required_gem_of_a_left_out_group_fails_with_where_and_how() -> None:
    check_left_out({"sinatra": "app.rb:1"}, ["rspec", "pry"], "development:test")  # nothing required is left out
    with pytest.raises(BuildError, match=r"^config.ru:1 requires 'rack/cache', but the Gemfile has the gem "
                                         r"rack-cache only in groups that BUNDLE_WITHOUT=development:test") as info:
        check_left_out({"rack/cache": "config.ru:1"}, ["rack-cache"], "development:test")
    assert info.value.exit_code == 5 and "move gem 'rack-cache'" in info.value.hint
