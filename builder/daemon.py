"""A Docker daemon (`docker-daemon:NAME:TAG`) through docker-py: read and write.

Only this sink needs a daemon; everything else in dockless works without one.
Writing streams a docker-archive into `docker load`; reading streams
`docker save` into the docker-archive reader. Both pass through a temp file.

docker-py's errors (and the requests/urllib3/socket errors under them) are
translated here by `daemon_error`: a missing image is NotFoundError (12), a
client configuration the user got wrong (TLS files, docker context, config
file) is UsageError (2), anything the daemon refused or failed at is
DaemonError (11), each with the daemon's own reason. A disk error on the temp
file is a disk error (builder.diskerrors), not the daemon's fault.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

from builder.archive import read_archive, write_archive_to
from builder.context import Context
from builder.diskerrors import reading, writing
from builder.errors import DaemonError, DocklessError, NotFoundError, UsageError
from builder.image.image import Image
from builder.reference import ArchiveRef, DaemonRef

_CONFIG_HINT = "check DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH, DOCKER_CONTEXT and ~/.docker/config.json"


def _os_root(err: BaseException, depth: int = 0) -> OSError | None:
    """The innermost OSError with the OS's words, searched through causes and args (requests nests them)."""
    if depth > 8:
        return None
    for inner in (err.__cause__, err.__context__, *(a for a in err.args if isinstance(a, BaseException))):
        if inner is not None and (found := _os_root(inner, depth + 1)) is not None:
            return found
    return err if isinstance(err, OSError) and err.strerror else None


def _reason(err: Exception) -> str:
    """The daemon's explanation when it sent one, else the first words of the error and the OS's reason."""
    import docker.errors

    if isinstance(err, docker.errors.APIError) and err.explanation:
        text = str(err.explanation)
    else:
        text = str(err).strip()
        root = _os_root(err)
        if root is not None and root is not err:
            head = text.split("(")[0].strip().rstrip(":")
            text = f"{head}: {root.strerror}" if head else str(root.strerror)
    text = (text.splitlines() or [type(err).__name__])[0]
    return text if len(text) <= 300 else text[:297] + "..."


_REFUSED_HINT = "the daemon's own reason is above; write to oci:DIR or docker-archive:FILE to keep the image anyway"
_BAD_NAME_HINT = "image names are lowercase [host[:port]/]path[:tag], 255 characters at most"


def daemon_error(err: Exception, doing: str, image: str) -> DocklessError:
    """The dockless error for a docker-py, requests or socket error raised while `doing` something to `image`.

    Sorted by whose fault it is: the image is absent (404, ImageNotFound) →
    NotFoundError 12; the user's input was bad — a name the daemon calls an
    invalid reference format, a client configuration error → UsageError 2;
    the daemon refused or failed (any other API error, a load error such as
    "cannot load windows image on linux", a garbled stream) or cannot be
    reached → DaemonError 11. Every message carries the daemon's own reason.
    """
    import docker.errors as de

    reason = _reason(err)
    if isinstance(err, de.NotFound) or (isinstance(err, de.APIError) and err.status_code == 404):
        return NotFoundError(f"the Docker daemon has no image {image} ({reason})", "list them with 'docker images'")
    if isinstance(err, (de.TLSParameterError, de.InvalidConfigFile, de.ContextException, de.ContextNotFound,
                        de.ContextAlreadyExists, de.MissingContextParameter)):
        return UsageError(f"the Docker client configuration is not usable: {reason}", _CONFIG_HINT)
    if isinstance(err, (de.InvalidRepository, de.InvalidArgument)):
        return UsageError(f"the Docker daemon cannot {doing} {image}: {reason}", _BAD_NAME_HINT)
    if isinstance(err, de.APIError):
        if "reference format" in reason or "invalid tag" in reason or "invalid reference" in reason:
            return UsageError(f"the Docker daemon calls {image} an invalid reference ({reason})", _BAD_NAME_HINT)
        return DaemonError(f"the Docker daemon refused to {doing} {image}: {reason}", _REFUSED_HINT)
    if isinstance(err, (de.ImageLoadError, de.StreamParseError, de.InvalidVersion)):
        hint = _REFUSED_HINT
        if "windows" in reason.lower() or "platform" in reason.lower() or "operating system" in reason.lower():
            hint = ("this daemon cannot run that image's platform; load it into a daemon of that OS, "
                    "or write to oci:DIR or docker-archive:FILE")
        return DaemonError(f"the Docker daemon failed to {doing} {image}: {reason}", hint)
    if isinstance(err, de.DockerException):
        return DaemonError(f"no Docker daemon is reachable ({reason})")
    # requests, urllib3 and socket errors: the connection failed or dropped
    return DaemonError(f"the Docker daemon stopped answering while trying to {doing} {image}: {reason}")


@contextmanager
def _talking(doing: str, image: str) -> Iterator[None]:
    """Translate whatever docker-py, requests, urllib3 or the socket raise in the block."""
    import docker.errors
    import urllib3.exceptions

    try:
        yield
    except (docker.errors.DockerException, urllib3.exceptions.HTTPError, OSError) as err:
        raise daemon_error(err, doing, image) from None


def _client() -> Any:
    import docker

    with _talking("connect to", "the daemon"):
        client = docker.from_env(timeout=300)
        client.ping()
    return client


def check_daemon() -> None:
    """Raise the daemon error (exit 11) now when no Docker daemon answers."""
    _client().close()


def _short(ref: DaemonRef) -> str:
    return f"{ref.name.familiar}:{ref.name.tag or 'latest'}"


@contextmanager
def _spooled(image: Image, ref: DaemonRef, ctx: Context) -> Iterator[IO[bytes]]:
    """The docker-archive of `image` in an anonymous temp file, rewound for `docker load`."""
    tmpdir = tempfile.gettempdir()
    with writing("the image for the Docker daemon to a temp file in", tmpdir):
        f = tempfile.TemporaryFile()
        try:
            write_archive_to(image, f, ref.name, ctx)
            f.seek(0)
        except BaseException:
            f.close()
            raise
    with f:
        yield f


def write_daemon(image: Image, ref: DaemonRef, ctx: Context) -> str:
    """Load the image into the daemon; returns NAME:TAG, the name Docker runs it by.

    Not NAME@sha256:<manifest digest>: Docker's image store keeps no manifest
    (`docker load` records no RepoDigests), so `docker run` cannot resolve that
    digest and the one `docker save` gives back differs. The image ID (the config
    digest) is the daemon's pin; a notice says it, and `docker-daemon:NAME:TAG@<id>` reads it back.
    """
    client = _client()
    with _spooled(image, ref, ctx) as archive, _talking("load", _short(ref)):
        loaded = client.images.load(archive)
    want = f"sha256:{image.config_descriptor.digest.hex}"
    if not any(img.id == want for img in loaded):
        raise DaemonError(f"the daemon loaded {[i.id for i in loaded]} but the image ID should be {want}")
    ctx.progress(f"loaded into the Docker daemon as {_short(ref)}, image ID {want} (Docker keeps no manifest "
                 f"digest: pin it by the image ID, or push to a registry for {image.digest.short})", 0, -1)
    return _short(ref)


def _saved(client: Any, ref: DaemonRef) -> Iterator[bytes]:
    """`docker save` of the image, chunk by chunk; the daemon's errors translated."""
    with _talking("save", _short(ref)):
        img = client.images.get(_short(ref))
        yield from img.save(named=True)


def read_daemon(ref: DaemonRef, ctx: Context) -> Image:
    """The image NAME:TAG names in the daemon, via `docker save`.

    A pinned name (`app:v1@sha256:…`) must name that image: its manifest
    digest or its image ID (config digest); NotFoundError (12) otherwise,
    never a different image under the same tag.
    """
    image = _read_daemon(ref, ctx)
    wanted = ref.name.digest
    if wanted is not None and wanted not in (image.digest, image.config_descriptor.digest):
        raise NotFoundError(f"the Docker daemon's {_short(ref)} is {image.digest} (image ID "
                            f"{image.config_descriptor.digest.short}), not {wanted}",
                            "list digests with 'docker images --digests'")
    return image


def _read_daemon(ref: DaemonRef, ctx: Context) -> Image:
    client = _client()
    tmpdir = tempfile.gettempdir()
    with reading("the image from the Docker daemon into a temp file in", tmpdir):
        fd, tmp = tempfile.mkstemp(suffix=".tar")
    try:
        # a write error is the disk's (`reading`), an error fetching a chunk the daemon's (`_saved`)
        with reading("the image from the Docker daemon into", tmp), os.fdopen(fd, "wb") as f:
            for chunk in _saved(client, ref):
                f.write(chunk)
        return read_archive(ArchiveRef(tmp, None), ctx)
    finally:
        os.unlink(tmp)
