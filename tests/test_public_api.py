"""Every package that curates a public surface lists names that exist and explain themselves."""

from __future__ import annotations

import importlib
import inspect

import pytest

PACKAGES = ["builder.image", "builder.registry", "builder.source", "builder.stack", "builder.stack.debian",
            "builder.sandbox", "buildpacks.nodejs"]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_names_exist_and_have_docstrings(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__doc__, f"{name} has no module docstring"
    exported = getattr(module, "__all__", None)
    assert exported, f"{name} has no __all__"
    assert len(exported) == len(set(exported))
    missing = []
    for attr in exported:
        obj = getattr(module, attr)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            doc = inspect.getdoc(obj) or ""
            # a dataclass without a docstring gets its signature as __doc__: that does not count
            if not doc or doc.startswith(f"{obj.__name__}("):
                missing.append(attr)
    assert not missing, f"{name}: no docstring on {missing}"
