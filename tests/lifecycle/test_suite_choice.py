"""A buildpack moves the build to the Debian suite that has its runtime: build root, run image and packages.

Ruby 3.1 is only in bookworm (trixie has 3.3): the buildpack asks which suites
offer `ruby3.1`, picks bookworm, and the whole build follows — its commands run
in the bookworm build root, the image is made on the bookworm run image, and
Docker runs it. Through the library's one call (`pipeline.build`) and the real
services, with the buildpack registered as a built-in one.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

import pytest

from builder.context import Context
from builder.image.blobs import BlobStore
from builder.lifecycle import registry
from builder.lifecycle.contract import BuildContext, BuildResult, Detection, Process
from builder.lifecycle.pipeline import BuildRequest, build
from builder.lifecycle.services import default_services
from builder.reference import parse_reference
from builder.source import SourceSpec
from tests.infra.docker_engine import docker, docker_run_output

RUNTIME = "ruby3.1"


class OldRubyDetector:
    def detect(self, workspace: Path, env: Mapping[str, str], app_dir: str = "") -> Detection:
        return Detection("old-ruby", (workspace / "app.rb").is_file(), ("app.rb",))


class OldRubyBuilder:
    seen: list[str] = []

    def build(self, ctx: BuildContext) -> BuildResult:
        assert ctx.packages is not None
        offers = ctx.packages.offered(RUNTIME)
        OldRubyBuilder.seen.append(json.dumps(dict(offers)))
        ctx.packages.use_suite(next(iter(offers)))
        ctx.packages.add([RUNTIME], build=True, launch=True)
        out = ctx.executor.run([RUNTIME, "-e", "print RUBY_VERSION"], what="ruby --version")
        OldRubyBuilder.seen.append(out.stdout)
        return BuildResult(processes=[Process("web", [f"/usr/bin/{RUNTIME}", "app.rb"], default=True)])


def test_the_build_follows_the_suite_a_buildpack_chooses(tmp_path: Path, stack_cache: Path,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         docker_engine: object) -> None:
    monkeypatch.setitem(registry.BUILTIN, "old-ruby", (f"{__name__}:OldRubyDetector", f"{__name__}:OldRubyBuilder"))
    app = tmp_path / "app"
    app.mkdir()
    (app / "app.rb").write_text('puts "ruby #{RUBY_VERSION} on #{File.read("/etc/debian_version").strip}"\n')
    tag = f"dockless-test/old-ruby:{os.getpid()}"
    ctx = Context(store=BlobStore(stack_cache))
    lines: list[str] = []
    with default_services(ctx, log=lines.append, environ=dict(os.environ)) as services:
        report = build(BuildRequest(SourceSpec(str(app)), parse_reference(f"docker-daemon:{tag}"),
                                    buildpacks=("old-ruby",), cache_root=stack_cache), services)
    try:
        offers = json.loads(OldRubyBuilder.seen[0])
        assert list(offers) == ["bookworm"] and offers["bookworm"].startswith("3.1")
        assert OldRubyBuilder.seen[1].startswith("3.1.")  # ran in the bookworm build root
        labels = report.image.config["config"]["Labels"]
        assert labels["io.dockless.stack.suite"] == "bookworm"
        assert [e.name for e in report.layers][0] == "packages"
        said = docker_run_output(tag, timeout=120)
        assert said.startswith("ruby 3.1.") and " on 12." in said  # Debian 12's run image and its ruby
    finally:
        docker("rmi", "--force", tag, check=False)
