"""The trixie build root for tests, made once per pytest session (fixtures `stack_cache`, `build_root`
in tests/conftest.py; tests that start their own interpreter call these functions directly).

One directory of the session's base temp dir holds it. The stack cache is safe to share
(stacks are made under a lock and renamed into place), so the .debs are downloaded and
the build root unpacked once.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from builder.stack import default_build_root, open_archive


def session_stack_cache(factory: pytest.TempPathFactory) -> Path:
    """`<session base temp>/stack-cache`: the one dockless cache of the session's stacks."""
    path = factory.getbasetemp() / "stack-cache"
    path.mkdir(exist_ok=True)
    return path


def session_build_root(stack_cache: Path) -> Path:
    """The trixie build root filesystem in `stack_cache` (about 125 MB of .debs, unpacked once)."""
    with httpx.Client(timeout=120) as client:
        return default_build_root(stack_cache, open_archive(stack_cache, client))
