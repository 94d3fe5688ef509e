"""manylinux wheels that bundle their own libraries (auditwheel) pass the launch library check and load in the image.

psycopg2-binary and Pillow 11 put libraries with no search path of their own in
`<dist>.libs/` and give the extension a DT_RPATH to it; ld.so finds the bundled
libraries' own needs through that inherited DT_RPATH (builder/lifecycle/libcheck.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from tests.e2e.cli import dockless
from tests.infra.docker_engine import docker_run_output
from tests.infra.registry import Registry

Publish = Callable[..., tuple[str, str]]

MAIN = """import psycopg2, PIL.Image, PIL.features
print("libpq", psycopg2.__libpq_version__, "freetype", PIL.features.check("freetype2"))
"""


def test_wheels_with_bundled_libraries_build_and_load_at_launch(
        publish: Publish, registry: Registry, docker_config: Path, build_cache: Path, repo_name: str,
        docker_engine: object) -> None:
    _, url = publish("python-wheels", {"requirements.txt": "psycopg2-binary==2.9.10\npillow==11.0.0\n",
                                       "Procfile": "web: python main.py\n", "main.py": MAIN})
    run = dockless("build", url, "--image", f"{registry.host}/{repo_name}:v1", docker_config=docker_config,
                   cache_dir=build_cache)
    assert run.code == 0, run.stderr
    out = docker_run_output(run.last_line, docker_config=docker_config).strip()
    assert re.fullmatch(r"libpq \d{5,6} freetype True", out), out
