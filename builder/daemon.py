"""A Docker daemon (`docker-daemon:NAME:TAG`) through docker-py: read and write.

Only this sink needs a daemon; everything else in dockless works without one.
Writing streams a docker-archive into `docker load`; reading streams
`docker save` into the docker-archive reader.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

from builder.archive import read_archive, write_archive_to
from builder.errors import DaemonError, NotFoundError
from builder.image.image import Image
from builder.reference import ArchiveRef, DaemonRef
from builder.transport import Context


def _client() -> Any:
    try:
        import docker
        from docker.errors import DockerException

        client = docker.from_env(timeout=300)
        client.ping()
        return client
    except DockerException as e:
        reason = str(e).split("(")[0].strip() or "no answer"
        raise DaemonError(f"no Docker daemon is reachable ({reason})") from None


def _short(ref: DaemonRef) -> str:
    return f"{ref.name.familiar}:{ref.name.tag or 'latest'}"


def write_daemon(image: Image, ref: DaemonRef, ctx: Context) -> str:
    """Load the image into the daemon; returns NAME@sha256:<manifest digest>."""
    import docker.errors

    client = _client()
    with tempfile.TemporaryFile() as f:
        write_archive_to(image, f, ref.name, ctx)
        f.seek(0)
        try:
            loaded = client.images.load(f)
        except docker.errors.APIError as e:
            raise DaemonError(f"the Docker daemon refused the image: {e.explanation or e}") from None
    want = f"sha256:{image.config_descriptor.digest.hex}"
    if not any(img.id == want for img in loaded):
        raise DaemonError(f"the daemon loaded {[i.id for i in loaded]} but the image ID should be {want}")
    return f"{ref.name.familiar}@{image.digest}"


def read_daemon(ref: DaemonRef, ctx: Context) -> Image:
    import docker.errors

    client = _client()
    try:
        img = client.images.get(_short(ref))
    except docker.errors.ImageNotFound:
        raise NotFoundError(f"the Docker daemon has no image {_short(ref)}", "list them with 'docker images'") from None
    fd, tmp = tempfile.mkstemp(suffix=".tar")
    try:
        with os.fdopen(fd, "wb") as f:
            for chunk in img.save(named=True):
                f.write(chunk)
        return read_archive(ArchiveRef(tmp, None), ctx)
    finally:
        os.unlink(tmp)
