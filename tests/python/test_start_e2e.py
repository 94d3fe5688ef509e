"""Bug 7 end to end: an app object not named `app` is started by its server, and the image answers.

The app is the trial's `application = Flask(__name__)` with gunicorn in its
requirements, served from git://, installed from PyPI, pushed to the
authenticated registry and run by the real Docker engine: the build that used
to ship `python app.py` (an image that exits at once) now ships gunicorn
`app:application`, and the same source gives the same digest.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.e2e.cli import dockless
from tests.infra.docker_engine import run_container
from tests.infra.registry import Registry

Publish = Callable[..., tuple[str, str]]  # tests/e2e/conftest.py `publish`

APP = {
    "requirements.txt": "flask==3.1.2\ngunicorn==23.0.0\n",
    "app.py": "from flask import Flask\n\napplication = Flask(__name__)\n\n\n"
              "@application.get('/')\ndef index() -> str:\n    return 'served by the application object\\n'\n",
}


def test_an_application_object_is_served_by_gunicorn_and_the_same_source_gives_the_same_digest(
        publish: Publish, registry: Registry, docker_config: Path, build_cache: Path, repo_name: str,
        docker_engine: object) -> None:
    _, url = publish("python-application-object", APP)
    image = f"{registry.host}/{repo_name}"
    run = dockless("build", url, "--image", f"{image}:v1", docker_config=docker_config, cache_dir=build_cache)
    assert run.code == 0, run.stderr
    assert ("starts with 'gunicorn --bind 0.0.0.0:${PORT:-8080} app:application' from app.py application "
            "(gunicorn)") in run.stderr
    body = run_container(run.last_line, docker_config=docker_config, extra_args=("--read-only", "--tmpfs", "/tmp"))
    assert body == "served by the application object\n"

    again = dockless("build", url, "--image", f"{image}:v2", docker_config=docker_config, cache_dir=build_cache)
    assert again.code == 0, again.stderr
    assert again.last_line.split("@")[1] == run.last_line.split("@")[1]
