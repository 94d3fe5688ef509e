"""distribution 2.8 (with htpasswd auth) configured to accept layer URLs: `validation.manifests.urls.allow`.

By default distribution refuses every manifest that names a layer by URL;
a registry that serves Windows base images or licensed layers allows them.
The config is the shared test registry's plus that one setting.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.infra import registry as shared
from tests.infra.procs import BackgroundProcess, require_tool, run, start_on_free_port

_VALIDATION = """\
validation:
  manifests:
    urls:
      allow:
        - ^https://
"""


@contextmanager
def running_url_registry(workdir: Path, username: str = "dockless") -> Iterator[shared.Registry]:
    """Start a registry that accepts https:// layer URLs on a free loopback port; stop on exit."""
    import secrets

    binary = require_tool("docker-registry")
    require_tool("htpasswd")
    password = secrets.token_urlsafe(12)
    htpasswd = workdir / "htpasswd"
    htpasswd.write_text(run(["htpasswd", "-Bbn", username, password]).stdout.decode().strip() + "\n")
    root = workdir / "storage"
    root.mkdir(parents=True, exist_ok=True)
    log_path = workdir / "registry.log"

    def make(port: int) -> BackgroundProcess:
        config = workdir / "config.yml"
        config.write_text(shared._CONFIG.format(root=root, port=port, auth=shared._AUTH.format(htpasswd=htpasswd))
                          + _VALIDATION)
        return BackgroundProcess([binary, "serve", str(config)], log_path, cwd=workdir)

    server, port = start_on_free_port(make, name="docker-registry", ready=shared._answers_v2)
    try:
        yield shared.Registry(host=f"127.0.0.1:{port}", username=username, password=password, root=root,
                              log_path=log_path)
    finally:
        server.stop()
