"""Fixtures for end-to-end builds: one dockless cache per session, examples as git:// repos."""

from __future__ import annotations

import secrets
import shutil
from pathlib import Path

import pytest

from tests.infra.gitdaemon import GitDaemon

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="session")
def build_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A dockless cache shared by the session's builds: the stack and runtimes are made once."""
    return tmp_path_factory.mktemp("dockless-cache")


@pytest.fixture
def publish(git_daemon: GitDaemon, tmp_path: Path):  # type: ignore[no-untyped-def]
    """publish(example_or_dir, **files) -> (repo name, git:// URL): a fresh repo per call."""

    def _publish(source: str | Path, files: dict[str, str] | None = None) -> tuple[str, str]:
        src = EXAMPLES / source if isinstance(source, str) else source
        work = tmp_path / f"src-{secrets.token_hex(3)}"
        if src.exists():
            shutil.copytree(src, work)
        else:
            work.mkdir()
        for rel, content in (files or {}).items():
            (work / rel).parent.mkdir(parents=True, exist_ok=True)
            (work / rel).write_text(content)
        name = f"{Path(str(source)).name}-{secrets.token_hex(4)}"
        return name, git_daemon.publish_repo(name, work)

    return _publish
