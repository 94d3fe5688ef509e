"""Real test infrastructure: registry, Docker engine, git daemon, umoci/skopeo, fault proxy.

Each module starts or drives a real program; `tests/conftest.py` wires them into
session fixtures. Nothing here is a mock: tests that pass against these helpers
pass against the real tools dockless has to interoperate with.
"""
