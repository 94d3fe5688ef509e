"""Build packages from the real trixie archive: the build root extended once, cached, the base never changed.

The base is the session's build root (the session fixture in tests/conftest.py); each test extends
it into its own cache directory, so every extension here is made cold.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from builder.errors import StackError
from builder.image.blobs import BlobStore
from builder.image.mutate import scratch
from builder.image.tarball import Entry
from builder.sandbox import BwrapExecutor, HostExecutor, select_executor
from builder.stack import open_archive
from builder.stack.debian import Archive
from builder.stack.extend import extend_build_root, launch_package_layer
from builder.stack.sink import DirSink

STATUS = "var/lib/dpkg/status"
LIBS = "usr/lib/x86_64-linux-gnu"


@pytest.fixture(scope="module")
def archive(stack_cache: Path) -> Iterator[Archive]:
    with httpx.Client(timeout=120) as client:
        yield open_archive(stack_cache, client)


def tree_state(root: Path) -> dict[str, tuple[int, int, int, int]]:
    """Every path below `root` → (inode, mode, size, mtime): what a write into the tree would change.

    Link counts and ctimes are left out: a hard-link copy changes those, never the content.
    """
    state = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            info = os.lstat(os.path.join(dirpath, name))
            state[os.path.join(dirpath, name)] = (info.st_ino, info.st_mode, info.st_size, info.st_mtime_ns)
    return state


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_extended_root_has_the_packages_and_the_base_is_unchanged(
    build_root: Path, archive: Archive, tmp_path: Path
) -> None:
    before, status_digest = tree_state(build_root), digest(build_root / STATUS)
    lines: list[str] = []
    started = time.monotonic()
    root = extend_build_root(tmp_path, archive, build_root, ["jq"], log=lines.append)
    cold = time.monotonic() - started
    started = time.monotonic()
    again = extend_build_root(tmp_path, archive, build_root, ["jq"], log=lines.append)
    warm = time.monotonic() - started
    print(f"extend the build root with jq: cold {cold:.2f} s, warm {warm * 1000:.1f} ms", file=sys.stderr)

    assert again == root and root.is_relative_to(tmp_path / "stacks" / "extended")
    assert warm < 0.5, "a warm extension only checks the cache"
    assert (root / "usr/bin/jq").is_file() and (root / LIBS / "libjq.so.1").exists()
    assert len(lines) == 1 and "jq" in lines[0]
    status = (root / STATUS).read_text()
    names = [line.split()[1] for line in status.splitlines() if line.startswith("Package: ")]
    assert {"jq", "libjq1", "libonig5", "libc6", "bash", "g++"} <= set(names) and names == sorted(names)
    assert (root / "var/lib/dpkg/info/jq.list").read_text().startswith("/.\n")
    # the unchanged files are the base's own (a hard-link copy), the rewritten ones are new files
    assert (root / "usr/bin/bash").stat().st_ino == (build_root / "usr/bin/bash").stat().st_ino
    assert (root / STATUS).stat().st_ino != (build_root / STATUS).stat().st_ino
    assert (root / "etc/passwd").read_bytes() == (build_root / "etc/passwd").read_bytes()
    # and the base root is exactly as it was
    assert tree_state(build_root) == before and digest(build_root / STATUS) == status_digest
    assert "Package: jq\n" not in (build_root / STATUS).read_text()


def test_commands_in_the_extended_root_find_the_packages_and_the_alternatives(
    build_root: Path, archive: Archive, tmp_path: Path
) -> None:
    root = extend_build_root(tmp_path / "cache", archive, build_root, ["jq"], log=lambda line: None)
    (tmp_path / "ws").mkdir()
    executor = BwrapExecutor(root, tmp_path / "ws")
    if executor.probe() is not None:
        pytest.skip(f"bubblewrap does not work here: {executor.probe()}")
    run = executor.run(["sh", "-c", "echo '{\"a\": [1, 2]}' | jq -c '.a | length'; command -v jq; cc --version"],
                       what="jq")  # fmt: skip
    lines = run.stdout.splitlines()
    assert lines[:2] == ["2", "/usr/bin/jq"] and lines[2].startswith("cc (Debian 14")


def test_packages_the_base_has_need_no_new_root(build_root: Path, archive: Archive, tmp_path: Path) -> None:
    lines: list[str] = []
    assert extend_build_root(tmp_path, archive, build_root, ["git", "bash"], log=lines.append) == build_root
    assert lines == ["build packages: bash, git already in the build root"]
    assert not (tmp_path / "stacks").exists()


def test_an_unknown_package_is_a_one_line_stack_error(build_root: Path, archive: Archive, tmp_path: Path) -> None:
    with pytest.raises(StackError) as caught:
        extend_build_root(tmp_path, archive, build_root, ["jq", "no-such-package-xyz"], log=lambda line: None)
    assert caught.value.exit_code == 6
    assert "'no-such-package-xyz'" in caught.value.message and "\n" not in caught.value.message
    assert not list((tmp_path / "stacks" / "extended").glob(".make-*")), "a failed make leaves nothing behind"
    assert not [p for p in (tmp_path / "stacks" / "extended").iterdir() if not p.name.endswith(".lock")]


_EXTEND = """
import sys, time, httpx
from pathlib import Path
from builder.stack import open_archive
from builder.stack.extend import extend_build_root
cache, base, packages = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3].split(",")
with httpx.Client(timeout=120) as client:
    archive = open_archive(cache, client)
    print(extend_build_root(Path(sys.argv[4]), archive, base, packages, log=lambda line: None), flush=True)
"""


def extend_in_process(stack_cache: Path, base: Path, packages: str, into: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", _EXTEND, str(stack_cache), str(base), packages, str(into)],
                            stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parents[2])  # fmt: skip


def test_concurrent_builds_share_one_root_and_a_killed_one_leaves_nothing_used(
    build_root: Path, stack_cache: Path, archive: Archive, tmp_path: Path
) -> None:
    extended = tmp_path / "stacks" / "extended"
    killed = extend_in_process(stack_cache, build_root, "jq,tree", tmp_path)
    deadline = time.monotonic() + 120
    while not list(extended.glob(".make-*/rootfs/usr")) and time.monotonic() < deadline:  # copying has begun
        time.sleep(0.01)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    assert list(extended.glob(".make-*")), "the killed build was caught while making the root"
    assert not [p for p in extended.iterdir() if not p.name.startswith(".")], "nothing half made is published"

    racers = [extend_in_process(stack_cache, build_root, "jq,tree", tmp_path) for _ in range(2)]
    outputs = [racer.communicate(timeout=300)[0].strip() for racer in racers]
    assert [racer.returncode for racer in racers] == [0, 0] and not list(extended.glob(".make-*"))
    assert outputs[0] == outputs[1] and Path(outputs[0], "usr/bin/tree").is_file()
    assert [p.name for p in extended.iterdir() if not p.name.endswith(".lock")] == [Path(outputs[0]).parent.name]
    assert extend_build_root(tmp_path, archive, build_root, ["tree", "jq"], log=lambda line: None) == Path(outputs[0])


def test_the_host_executor_reaches_a_packages_only_root(archive: Archive, tmp_path: Path) -> None:
    """On the host, the packages come first on PATH and LD_LIBRARY_PATH; libc stays the host's."""
    root = extend_build_root(tmp_path / "cache", archive, None, ["jq"], log=lambda line: None)
    assert (root / "usr/bin/jq").is_file() and (root / LIBS / "libonig.so.5").exists()
    assert not (root / LIBS / "libc.so.6").exists()
    (tmp_path / "ws").mkdir()
    notices: list[str] = []
    executor = select_executor(None, tmp_path / "ws", env={"PATH": "/usr/local/bin:/usr/bin:/bin"}, mode="host",
                               notice=notices.append, packages_root=lambda: root)  # fmt: skip
    assert isinstance(executor, HostExecutor) and len(notices) == 1 and str(root) in notices[0]
    # libonig needs nothing newer than GLIBC_2.14, so any host can load it (jq itself wants trixie's 2.38)
    where = ("import ctypes; ctypes.CDLL('libonig.so.5'); "
             "print([l.split()[-1] for l in open('/proc/self/maps') if 'onig' in l][0])")
    run = executor.run(["sh", "-c", f'command -v jq; echo "$PATH"; python3 -c "{where}"'], what="probe",
                       env={"PATH": "/layers/tool/bin"})  # fmt: skip
    found, path, library = run.stdout.splitlines()
    assert found == f"{root}/usr/bin/jq"
    assert path == f"/layers/tool/bin:{root}/usr/bin:/usr/local/bin:/usr/bin:/bin"
    assert library == f"{root}/{LIBS}/libonig.so.5.4.0"


def test_launch_packages_name_an_unknown_package_in_one_line(archive: Archive, tmp_path: Path) -> None:
    with pytest.raises(StackError) as caught:
        launch_package_layer(archive, ["no-such-package-xyz"], store=BlobStore(tmp_path), base=scratch(),
                             log=lambda line: None)  # fmt: skip
    assert caught.value.exit_code == 6
    assert "'no-such-package-xyz'" in caught.value.message and "\n" not in caught.value.message


def test_the_dir_sink_stays_inside_its_root_and_never_writes_through_a_hard_link(tmp_path: Path) -> None:
    """What makes a hard-link copy safe to extend: links are followed inside the root, files replaced, not rewritten."""
    outside, root = tmp_path / "outside", tmp_path / "root"
    outside.mkdir()
    (outside / "shared").write_text("the base's bytes")
    sink = DirSink(root)
    os.link(outside / "shared", root / "shared")  # as `cp -al` leaves every file of the base
    sink.add(Entry("shared", data=b"the extension's bytes", mode=0o644))
    assert (outside / "shared").read_text() == "the base's bytes" and sink.read("shared") == b"the extension's bytes"
    sink.add(Entry("var/run", "symlink", 0o777, link=str(outside)))  # absolute: from the root, as in a chroot
    sink.add(Entry("var/run/lock/file", data=b"x", mode=0o644))
    assert not (outside / "lock").exists()
    assert (root / str(outside).lstrip("/") / "lock" / "file").read_bytes() == b"x"
    sink.add(Entry("usr/lib/real", "dir", 0o755))
    sink.add(Entry("usr/lib/alias", "symlink", 0o777, link="real"))
    sink.add(Entry("usr/lib/alias", "dir", 0o755))  # dpkg keeps a symlink to a directory
    sink.add(Entry("usr/lib/alias/file", data=b"y", mode=0o644))
    assert os.readlink(root / "usr/lib/alias") == "real" and (root / "usr/lib/real/file").read_bytes() == b"y"


def test_a_launch_layer_made_once_is_reused_without_touching_the_archive(archive: Archive, tmp_path: Path) -> None:
    """A code-only rebuild must not unpack the JRE again: same base image + same names -> the stored layer."""
    store = BlobStore(tmp_path / "blobs")
    memo = tmp_path / "memo"
    first, debs = launch_package_layer(archive, ["jq"], store=store, base=scratch(), log=lambda line: None,
                                       memo_dir=memo)

    class NoArchive:
        def __getattr__(self, name: str) -> object:
            raise AssertionError(f"the archive was used ({name})")

    again, debs_again = launch_package_layer(NoArchive(), ["jq"], store=store, base=scratch(),  # type: ignore[arg-type]
                                             log=lambda line: None, memo_dir=memo)
    assert (again.digest, again.diff_id, again.size) == (first.digest, first.diff_id, first.size)
    assert debs_again == debs and "jq" in debs and "libjq1" in debs
    with pytest.raises(AssertionError, match="the archive was used"):  # other names: made, from the archive
        launch_package_layer(NoArchive(), ["jq", "tree"], store=store, base=scratch(),  # type: ignore[arg-type]
                             log=lambda line: None, memo_dir=memo)
