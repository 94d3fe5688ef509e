"""Session fixtures for the CNB tests: the session's one dockless stack cache and build root.

Both come from tests/sandbox/stackroot.py (a fixed directory under the session's
base temp), so tests/sandbox, tests/stack, these tests and the end-to-end CNB
test (tests/e2e/test_cnb_build.py) make the build root (about 125 MB of .debs) once.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sandbox.stackroot import session_build_root

from .support import session_cache


@pytest.fixture(scope="session")
def cnb_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return session_cache(tmp_path_factory)


@pytest.fixture(scope="session")
def build_root(cnb_cache: Path) -> Path:
    """The built-in stack's build root filesystem, as `dockless build` makes it."""
    return session_build_root(cnb_cache)
