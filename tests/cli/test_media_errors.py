"""Each medium's OS and daemon errors reach the user as one line, a hint and the exit code of their kind.

Writers are driven into real OS errors that happen even as root: a path under
a regular file (ENOTDIR), a regular file where a directory must go (EEXIST), a
directory where the archive file must go (EISDIR), a full disk simulated with a
file-size limit (`ulimit -f`: EFBIG) on a subprocess, and, where mounting is
allowed, a really full 100 KB tmpfs (ENOSPC). Writing is a
PublishError (8); reading a missing input is NotFoundError (12) and a damaged
or unreadable one UsageError (2). The daemon medium's docker-py errors are
checked against a table that must name every docker.errors class.
"""

from __future__ import annotations

import inspect
import io
import os
import resource
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path

import docker.errors
import pytest
import requests
import urllib3.exceptions

import builder.errors as errors
from builder.daemon import daemon_error
from builder.image.blobs import BlobStore
from builder.layout import write_layout
from builder.reference import LayoutRef
from tests.e2e.cli import Run, assert_clean_error, run_in_process as run_main
from tests.registry.helpers import context, make_image

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 64 << 10  # bytes a process may write to one file in the "full disk" tests


@pytest.fixture
def layout(tmp_path: Path) -> Path:
    """An OCI layout (tag v1) whose one layer is ~200 KB of incompressible bytes."""
    store = BlobStore(tmp_path / "build-cache")
    image = make_image(tmp_path, store, {"data.bin": os.urandom(200 << 10)})
    write_layout(image, LayoutRef(str(tmp_path / "src"), "v1"), context(store))
    return tmp_path / "src"


@pytest.fixture
def a_file(tmp_path: Path) -> Path:
    path = tmp_path / "plain-file"
    path.write_text("not a directory")
    return path


def run_with_file_limit(args: list[str], cache: Path) -> Run:
    """`dockless ARGS` in a subprocess that may write at most LIMIT bytes to any file (EFBIG past it)."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))

    p = subprocess.run([sys.executable, "-m", "builder", *args, "--cache-dir", str(cache)], cwd=ROOT,
                       capture_output=True, text=True, timeout=300, preexec_fn=limit, stdin=subprocess.DEVNULL)
    return Run(p.returncode, p.stdout, p.stderr)


# ---------------------------------------------------------------- writing: exit 8


@pytest.mark.parametrize(("dest", "reason"), [
    ("oci:{file}/out", "Not a directory"),
    ("oci:{file}", "File exists"),
    ("docker-archive:{file}/out.tar", "File exists"),
    ("docker-archive:{dir}", "Is a directory"),
])  # fmt: skip
def test_unwritable_destinations_are_publish_errors(dest: str, reason: str, layout: Path, a_file: Path,
                                                    tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a-dir").mkdir()
    target = dest.format(file=a_file, dir=tmp_path / "a-dir")
    run = run_main(["copy", f"oci:{layout}:v1", target, "--cache-dir", str(tmp_path / "c")], capsys)
    assert_clean_error(run, 8, "cannot write", reason, target.split(":", 1)[1])
    assert "internal error" not in run.stderr
    assert a_file.read_text() == "not a directory"
    assert list((tmp_path / "a-dir").iterdir()) == []  # no temp file left behind


@pytest.mark.parametrize("dest", ["oci:{out}", "docker-archive:{out}.tar"])
def test_a_full_disk_is_a_publish_error_and_leaves_no_half_image(dest: str, layout: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run = run_with_file_limit(["copy", f"oci:{layout}:v1", dest.format(out=out)], tmp_path / "c")
    assert_clean_error(run, 8, "cannot write", "File too large", str(out))
    assert not (out / "index.json").exists()  # a tag never points at missing blobs
    assert not Path(f"{out}.tar").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []  # the temp archive is gone


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 100 KB tmpfs: a really full disk (ENOSPC). Needs the right to mount (root in a privileged container)."""
    mount = tmp_path / "tiny-disk"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=100k", "tmpfs", str(mount)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


@pytest.mark.parametrize("dest", ["oci:{disk}/out", "docker-archive:{disk}/out.tar"])
def test_no_space_left_is_a_publish_error(dest: str, layout: Path, tiny_disk: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    run = run_main(["copy", f"oci:{layout}:v1", dest.format(disk=tiny_disk), "--cache-dir", str(tmp_path / "c")],
                   capsys)
    assert_clean_error(run, 8, "cannot write", "No space left on device", "free some space")
    assert [p.name for p in tiny_disk.rglob("*") if p.suffix in (".tmp", ".tar") or p.name == "index.json"] == []


def test_a_full_disk_under_the_daemon_medium_is_a_publish_error(layout: Path, tmp_path: Path,
                                                                docker_engine: object) -> None:
    """The daemon medium spools the archive to $TMPDIR first: a disk error there is a disk error, exit 8."""
    run = run_with_file_limit(["copy", f"oci:{layout}:v1", "docker-daemon:dockless-test/full-disk:v1"],
                              tmp_path / "c")
    assert_clean_error(run, 8, "cannot write the image for the Docker daemon", "File too large")


# ---------------------------------------------------------------- reading: exit 12 or 2


def _break_layout(layout: Path, what: str) -> None:
    blobs = sorted((layout / "blobs" / "sha256").iterdir(), key=lambda p: p.stat().st_size)
    if what == "index-is-a-dir":
        (layout / "index.json").unlink()
        (layout / "index.json").mkdir()
    elif what == "no-layer-blob":
        blobs[-1].unlink()  # the biggest blob is the 200 KB layer
    elif what == "no-manifest-blob":
        import json

        manifest = json.loads((layout / "index.json").read_text())["manifests"][0]["digest"]
        (layout / "blobs" / "sha256" / manifest.split(":")[1]).unlink()


@pytest.mark.parametrize(("breakage", "code", "reason"), [
    ("index-is-a-dir", 2, "Is a directory"),
    ("no-manifest-blob", 12, "lacks blob"),
    ("no-layer-blob", 12, "lacks layer blob"),
])  # fmt: skip
def test_damaged_layouts_are_usage_errors(breakage: str, code: int, reason: str, layout: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    _break_layout(layout, breakage)
    run = run_main(["inspect", f"oci:{layout}:v1", "--cache-dir", str(tmp_path / "c")], capsys)
    assert_clean_error(run, code, reason, str(layout))


def _truncate_the_layer(archive: Path) -> None:
    """Rewrite the archive with its one layer cut in half (a damaged gzip stream)."""
    with tarfile.open(archive) as tar:
        members = [(m, f.read() if (f := tar.extractfile(m)) else b"") for m in tar.getmembers()]
    biggest = max(members, key=lambda m: len(m[1]))
    with tarfile.open(archive, "w") as tar:
        for member, data in members:
            if member is biggest[0]:
                data = data[: len(data) // 2]
                member.size = len(data)
            tar.addfile(member, io.BytesIO(data))


@pytest.mark.parametrize(("source", "code", "reason"), [
    ("oci:{tmp}/missing", 12, "no index.json"),
    ("oci:{file}/below-a-file", 12, "no index.json"),
    ("docker-archive:{tmp}/missing.tar", 12, "does not exist"),
    ("docker-archive:{file}/below-a-file.tar", 12, "does not exist"),
    ("docker-archive:{dir}", 2, "Is a directory"),
    ("docker-archive:{file}", 2, "not a readable tar archive"),
    ("docker-archive:{truncated}", 2, "is damaged"),
])  # fmt: skip
def test_missing_or_damaged_inputs_have_their_own_exit_codes(source: str, code: int, reason: str, layout: Path,
                                                             a_file: Path, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a-dir").mkdir()
    truncated = tmp_path / "truncated.tar"
    if "{truncated}" in source:
        made = run_main(["copy", f"oci:{layout}:v1", f"docker-archive:{truncated}",
                         "--cache-dir", str(tmp_path / "c0")], capsys)
        assert made.code == 0, made.stderr
        _truncate_the_layer(truncated)
    ref = source.format(tmp=tmp_path, file=a_file, dir=tmp_path / "a-dir", truncated=truncated)
    run = run_main(["inspect", ref, "--cache-dir", str(tmp_path / "c")], capsys)
    assert_clean_error(run, code, reason)
    assert "internal error" not in run.stderr


# ---------------------------------------------------------------- the daemon medium: docker-py errors


class FakeResponse:
    """Just enough of a requests.Response for docker.errors.APIError."""

    def __init__(self, status: int, reason: str) -> None:
        self.status_code = status
        self.reason = reason
        self.url = "http+docker://localhost/images/load"


def _api(status: int, explanation: str, cls: type[docker.errors.APIError] = docker.errors.APIError) -> Exception:
    return cls("request failed", response=FakeResponse(status, "x"), explanation=explanation)  # type: ignore[arg-type]


def _dropped_connection() -> Exception:
    """What requests raises when the daemon's socket goes away: the OS's words two levels down."""
    return requests.exceptions.ConnectionError(
        urllib3.exceptions.ProtocolError("Connection aborted.", ConnectionResetError(104, "Connection reset by peer")))


def _unreachable() -> Exception:
    """docker.from_env's error for a missing socket, raised `from` the requests error as docker-py does."""
    err = docker.errors.DockerException("Error while fetching server API version: ('Connection aborted.', "
                                        "FileNotFoundError(2, 'No such file or directory'))")
    err.__cause__ = requests.exceptions.ConnectionError(urllib3.exceptions.ProtocolError(
        "Connection aborted.", FileNotFoundError(2, "No such file or directory")))
    return err


# (docker.errors class or other, the instance, the dockless error, words its message must have)
DAEMON_TABLE: list[tuple[type[Exception], Exception, type[errors.DocklessError], str]] = [
    (docker.errors.ImageNotFound, _api(404, "No such image: x:y", docker.errors.ImageNotFound),
     errors.NotFoundError, "No such image: x:y"),
    (docker.errors.NotFound, _api(404, "page not found", docker.errors.NotFound), errors.NotFoundError,
     "page not found"),
    (docker.errors.APIError, _api(500, "open /var/lib/docker/tmp: no space left on device"), errors.DaemonError,
     "no space left on device"),
    (docker.errors.APIError, _api(400, "invalid tar header"), errors.DaemonError, "invalid tar header"),
    (docker.errors.APIError, _api(400, 'invalid reference format: repository name (library/App) must be '
                                       'lowercase'), errors.UsageError, "invalid reference format"),
    (docker.errors.APIError, _api(404, "reference does not exist"), errors.NotFoundError,
     "reference does not exist"),
    (docker.errors.APIError, _api(409, "conflict: unable to delete"), errors.DaemonError, "conflict"),
    (docker.errors.ImageLoadError, docker.errors.ImageLoadError("cannot load windows image on linux"),
     errors.DaemonError, "cannot load windows image on linux"),
    (docker.errors.ImageLoadError, docker.errors.ImageLoadError("unexpected EOF"), errors.DaemonError,
     "unexpected EOF"),
    (docker.errors.StreamParseError, docker.errors.StreamParseError("bad JSON in stream"),
     errors.DaemonError, "bad JSON in stream"),
    (docker.errors.InvalidVersion, docker.errors.InvalidVersion("API 1.12 is too old"), errors.DaemonError,
     "API 1.12 is too old"),
    (docker.errors.DockerException, _unreachable(), errors.DaemonError, "No such file or directory"),
    (docker.errors.TLSParameterError, docker.errors.TLSParameterError("cert and key are required"),
     errors.UsageError, "cert and key are required"),
    (docker.errors.InvalidConfigFile, docker.errors.InvalidConfigFile("config.json: bad JSON"), errors.UsageError,
     "config.json: bad JSON"),
    (docker.errors.ContextException, docker.errors.ContextException("context metadata unreadable"),
     errors.UsageError, "context metadata unreadable"),
    (docker.errors.ContextNotFound, docker.errors.ContextNotFound("ci-remote"), errors.UsageError, "ci-remote"),
    (docker.errors.ContextAlreadyExists, docker.errors.ContextAlreadyExists("ci-remote"), errors.UsageError,
     "ci-remote"),
    (docker.errors.MissingContextParameter, docker.errors.MissingContextParameter("host"), errors.UsageError,
     "host"),
    (docker.errors.InvalidRepository, docker.errors.InvalidRepository("invalid repository name"),
     errors.UsageError, "invalid repository name"),
    (docker.errors.InvalidArgument, docker.errors.InvalidArgument("bad filter"), errors.UsageError, "bad filter"),
    (docker.errors.NullResource, docker.errors.NullResource("image id is None"), errors.DaemonError,
     "image id is None"),
    (docker.errors.DeprecatedMethod, docker.errors.DeprecatedMethod("insert is gone"), errors.DaemonError,
     "insert is gone"),
    (docker.errors.BuildError, docker.errors.BuildError("step 3 failed", iter([])), errors.DaemonError,
     "step 3 failed"),
    (docker.errors.ContainerError,
     docker.errors.ContainerError("c1", 2, "ls", "busybox", "ls: no such file"),  # type: ignore[arg-type]
     errors.DaemonError, "ls: no such file"),
    (requests.exceptions.ConnectionError, _dropped_connection(), errors.DaemonError, "Connection reset by peer"),
    (requests.exceptions.ReadTimeout, requests.exceptions.ReadTimeout("read timed out (300 s)"), errors.DaemonError,
     "read timed out"),
    (urllib3.exceptions.ProtocolError, urllib3.exceptions.ProtocolError("Response ended prematurely"),
     errors.DaemonError, "Response ended prematurely"),
]


@pytest.mark.parametrize(("cls", "err", "kind", "words"), DAEMON_TABLE, ids=[f"{c.__name__}-{i}" for i, (c, *_)
                                                                           in enumerate(DAEMON_TABLE)])
def test_docker_errors_are_translated_with_the_daemons_reason(cls: type[Exception], err: Exception,
                                                              kind: type[errors.DocklessError], words: str) -> None:
    assert isinstance(err, cls)
    translated = daemon_error(err, "load", "app:v1")
    assert type(translated) is kind
    assert words in translated.message, translated.message
    assert "\n" not in translated.message and translated.hint


def test_the_table_names_every_docker_error() -> None:
    every = {c for _, c in inspect.getmembers(docker.errors, inspect.isclass)
             if issubclass(c, docker.errors.DockerException)}
    assert every - {cls for cls, *_ in DAEMON_TABLE} == set()


class FakeImages:
    """docker-py's client.images, failing the way a test asks."""

    def __init__(self, load_error: Exception | None = None, get_error: Exception | None = None,
                 save_error: Exception | None = None) -> None:
        self.load_error, self.get_error, self.save_error = load_error, get_error, save_error

    def load(self, data: object) -> list[object]:
        raise self.load_error or AssertionError("load should fail in this test")

    def get(self, name: str) -> FakeImages:
        if self.get_error:
            raise self.get_error
        return self

    def save(self, named: bool = False):  # type: ignore[no-untyped-def]
        yield b"the first chunk"
        raise self.save_error or AssertionError("save should fail in this test")


class FakeClient:
    def __init__(self, images: FakeImages) -> None:
        self.images = images

    def ping(self) -> bool:
        return True


@pytest.mark.parametrize(("args", "images", "code", "words"), [
    (["copy", "oci:{layout}:v1", "docker-daemon:app:v1"], FakeImages(load_error=docker.errors.ImageLoadError(
        "unexpected EOF")), 11, "failed to load app:v1: unexpected EOF"),
    (["copy", "oci:{layout}:v1", "docker-daemon:app:v1"], FakeImages(load_error=_dropped_connection()), 11,
     "stopped answering while trying to load app:v1: Connection reset by peer"),
    (["inspect", "docker-daemon:app:v1"], FakeImages(get_error=_api(404, "No such image: app:v1",
                                                                    docker.errors.ImageNotFound)),
     12, "has no image app:v1"),
    (["inspect", "docker-daemon:app:v1"], FakeImages(save_error=requests.exceptions.ChunkedEncodingError(
        "Connection broken: IncompleteRead")), 11, "while trying to save app:v1: Connection broken"),
])  # fmt: skip
def test_the_daemon_medium_translates_at_every_call(args: list[str], images: FakeImages, code: int, words: str,
                                                    layout: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(docker, "from_env", lambda **_: FakeClient(images))
    argv = [a.format(layout=layout) for a in args] + ["--cache-dir", str(tmp_path / "c")]
    assert_clean_error(run_main(argv, capsys), code, words)


def test_no_daemon_is_an_exit_11_with_the_os_reason(layout: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-such.sock")
    run = run_main(["copy", f"oci:{layout}:v1", "docker-daemon:app:v1", "--cache-dir", str(tmp_path / "c")], capsys)
    assert_clean_error(run, 11, "no Docker daemon is reachable", "No such file or directory")
