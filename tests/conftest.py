"""Session fixtures backed by real servers and tools (see tests/infra/).

Every server listens on a free 127.0.0.1 port in a pytest tmp dir and is
stopped at session end. Tests using any of them are marked `e2e` automatically,
so `pytest -m "not e2e"` runs only the fast, tool-free tests.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.infra.docker_engine import DockerEngine, check_docker_engine, images_removed_after
from tests.infra.faultproxy import FaultProxy
from tests.infra.gitdaemon import GitDaemon, running_git_daemon
from tests.infra.k8s_schema import K8sSchemas, install_schemas
from tests.infra.oci import make_umoci_image
from tests.infra.registry import Registry, running_registry
from tests.ruby.gemserver import GemServer, build_gem_repo, running_gem_server
from tests.infra.stackroot import session_build_root, session_stack_cache

UMOCI_HELLO = "hello from umoci"
UMOCI_HTTPD_BODY = "hello from busybox httpd\n"

E2E_FIXTURES = frozenset({
    "registry", "registry_noauth", "docker_config", "docker_engine", "git_daemon",
    "umoci_busybox", "faulty_registry",
    "gem_server", "k8s_schemas", "url_registry",
})


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark tests that need real infrastructure as e2e, before `-m` selection runs."""
    for item in items:
        if E2E_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def stack_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's one dockless cache of stacks: the .debs are downloaded and the build root unpacked once."""
    return session_stack_cache(tmp_path_factory)


@pytest.fixture(scope="session")
def build_root(stack_cache: Path) -> Path:
    """The built-in trixie build root filesystem, as `dockless build` makes it (about 125 MB of .debs)."""
    return session_build_root(stack_cache)


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """distribution 2.8 with htpasswd auth and deletes enabled, plain HTTP on loopback."""
    with running_registry(tmp_path_factory.mktemp("registry"), auth=True) as reg:
        yield reg


@pytest.fixture(scope="session")
def registry_noauth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """A second registry with no auth at all (username/password/creds are None)."""
    with running_registry(tmp_path_factory.mktemp("registry-noauth"), auth=False) as reg:
        yield reg


@pytest.fixture
def docker_config(registry: Registry, tmp_path: Path) -> Path:
    """A DOCKER_CONFIG dir whose config.json holds `registry`'s credentials."""
    return registry.docker_config_dir(tmp_path / "docker-config")


@pytest.fixture(scope="session")
def docker_engine() -> Iterator[DockerEngine]:
    """The Docker engine started by scripts/setup-system (skips locally, fails in CI).

    Images the session pulled or loaded are removed at its end: a full run makes
    several GB of them, and CI shares the disk with the next run.
    """
    engine = check_docker_engine()
    with images_removed_after(engine):
        yield engine


@pytest.fixture(scope="session")
def git_daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GitDaemon]:
    """`git daemon` serving repos made with `git_daemon.publish_repo(name, src_dir)`."""
    with running_git_daemon(tmp_path_factory.mktemp("git")) as daemon:
        yield daemon


@pytest.fixture(scope="session")
def umoci_busybox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An OCI layout made by umoci; treat as read-only (copy it to modify).

    Tags: `latest` prints UMOCI_HELLO; `httpd` serves UMOCI_HTTPD_BODY at / on $PORT.
    """
    layout = tmp_path_factory.mktemp("umoci") / "busybox"
    make_umoci_image(layout, tag="latest", cmd=("/bin/sh", "-c", f"echo {UMOCI_HELLO}"))
    make_umoci_image(layout, tag="httpd",
                     cmd=("/bin/sh", "-c", "exec httpd -f -p 127.0.0.1:${PORT:-8080} -h /www"),
                     files={"www/index.html": UMOCI_HTTPD_BODY.encode()})
    return layout


@pytest.fixture
def faulty_registry(registry: Registry) -> Iterator[FaultProxy]:
    """A fresh fault proxy in front of `registry` (20% of requests fail, seed 1234).

    Reconfigure with `.configure(rate=..., kinds=..., methods=..., seed=...)` or
    `.fail_next(...)`; point clients at `.host` (credentials: `.docker_config_dir`)
    and make assertions through the `registry` fixture, not through the proxy.
    """
    with FaultProxy(registry, rate=0.2, seed=1234) as proxy:
        yield proxy


@pytest.fixture(scope="session")
def gem_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GemServer]:
    """Real .gem files (rack, webrick, sinatra… rebuilt from Debian's packages; two C-extension gems), Basic auth."""
    with running_gem_server(build_gem_repo(tmp_path_factory.mktemp("gems"))) as server:
        yield server


@pytest.fixture(scope="session")
def k8s_schemas(tmp_path_factory: pytest.TempPathFactory) -> K8sSchemas:
    """The Knative and Kubernetes models' validators (npm), installed once: `k8s_schemas.assert_valid(docs)`."""
    return install_schemas(tmp_path_factory.mktemp("k8s-schemas") / "schema")


@pytest.fixture
def repo_name(request: pytest.FixtureRequest) -> str:
    """A registry repository name unique to this test (valid per distribution-spec)."""
    stem = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:60] or "test"
    return f"test/{stem}-{secrets.token_hex(3)}"
