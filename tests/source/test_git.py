"""fetch_source from git URLs, against a real `git daemon` and real file:// repositories."""

from __future__ import annotations

import http.server
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from builder.errors import SourceError
from builder.source import SourceSpec, fetch_source
from tests.infra.gitdaemon import GitDaemon, git_env
from tests.infra.procs import http_server


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env=git_env(cwd), check=True,
                          capture_output=True, text=True).stdout.strip()


@pytest.fixture(scope="module")
def demo(git_daemon: GitDaemon, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A repo with history: first (tag v1, annotated v1-annotated), second (branch `dev`), third on main."""
    src = tmp_path_factory.mktemp("demo-src")
    (src / "app" / "lib").mkdir(parents=True)
    (src / "app" / "server.js").write_text("first")
    (src / "app" / "lib" / "x.js").write_text("x")
    (src / "README.md").write_text("readme")
    url = git_daemon.publish_repo("demo", src)
    first = git_daemon.tag("demo", "v1")
    work = git_daemon.work_path / "demo"
    _git(work, "tag", "-a", "v1-annotated", "-m", "annotated")
    _git(work, "push", "-q", "origin", "refs/tags/v1-annotated")
    second = git_daemon.commit_change("demo", "app/server.js", "second")
    _git(work, "push", "-q", "origin", "HEAD:refs/heads/dev")
    third = git_daemon.commit_change("demo", "app/server.js", "third")
    return {"url": url, "first": first, "second": second, "third": third,
            "bare": (git_daemon.base_path / "demo.git").as_uri()}


def _server_js(ws_path: Path) -> str:
    return (ws_path / "app" / "server.js").read_text()


def test_default_branch_shallow(demo: dict[str, str], tmp_path: Path) -> None:
    logs: list[str] = []
    ws = fetch_source(SourceSpec(demo["url"]), tmp_path / "ws", log=logs.append)
    assert _server_js(ws.path) == "third"
    assert ws.commit == demo["third"] and ws.url == demo["url"]
    assert ws.commit_time == 1704067200 + 120
    assert _files(ws.path) == {"README.md", "app", "app/server.js", "app/lib", "app/lib/x.js"}
    assert any(line == f"cloning {demo['url']} (depth 1)" for line in logs)
    assert not list(tmp_path.glob(".dockless-clone-*")), "the scratch clone is removed"


@pytest.mark.parametrize(("revision", "expected"), [
    ("main", "third"), ("dev", "second"), ("v1", "first"), ("v1-annotated", "first"),
    ("refs/heads/dev", "second"),
])
def test_branches_and_tags(demo: dict[str, str], tmp_path: Path, revision: str, expected: str) -> None:
    ws = fetch_source(SourceSpec(demo["url"], revision=revision), tmp_path / "ws")
    assert _server_js(ws.path) == expected
    assert ws.commit == demo[expected] and ws.revision == revision


@pytest.mark.parametrize("which", ["first", "second", "third"])
def test_full_sha(demo: dict[str, str], tmp_path: Path, which: str) -> None:
    logs: list[str] = []
    ws = fetch_source(SourceSpec(demo["url"], revision=demo[which]), tmp_path / "ws", log=logs.append)
    assert _server_js(ws.path) == which and ws.commit == demo[which]
    assert any("(depth 1)" in line for line in logs), logs


@pytest.mark.parametrize("which", ["first", "second", "third"])
def test_short_sha(demo: dict[str, str], tmp_path: Path, which: str) -> None:
    ws = fetch_source(SourceSpec(demo["url"], revision=demo[which][:8].upper()), tmp_path / "ws")
    assert _server_js(ws.path) == which and ws.commit == demo[which]


@pytest.fixture(scope="module")
def linear(git_daemon: GitDaemon, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """main with three commits; the middle one is not the tip of any ref."""
    src = tmp_path_factory.mktemp("linear-src")
    (src / "v").write_text("1")
    url = git_daemon.publish_repo("linear", src)
    middle = git_daemon.commit_change("linear", "v", "2")
    git_daemon.commit_change("linear", "v", "3")
    return {"url": url, "middle": middle}


def test_unadvertised_full_sha_is_fetched_alone(linear: dict[str, str], tmp_path: Path) -> None:
    logs: list[str] = []
    ws = fetch_source(SourceSpec(linear["url"], revision=linear["middle"]), tmp_path / "ws", log=logs.append)
    assert ws.commit == linear["middle"] and (ws.path / "v").read_text() == "2"
    assert logs[0] == f"cloning {linear['url']} at {linear['middle'][:12]} (depth 1)"
    assert not any("full history" in line for line in logs), logs


def test_unadvertised_short_sha_needs_full_history(linear: dict[str, str], tmp_path: Path) -> None:
    logs: list[str] = []
    ws = fetch_source(SourceSpec(linear["url"], revision=linear["middle"][:7]), tmp_path / "ws", log=logs.append)
    assert ws.commit == linear["middle"] and (ws.path / "v").read_text() == "2"
    assert any("full history" in line for line in logs), logs


def test_full_sha_when_the_server_refuses_unadvertised_objects(
        linear: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Protocol v0 upload-pack refuses a want for a sha no ref points at: fall back to full history.
    monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
    monkeypatch.setenv("GIT_CONFIG_KEY_0", "protocol.version")
    monkeypatch.setenv("GIT_CONFIG_VALUE_0", "0")
    logs: list[str] = []
    ws = fetch_source(SourceSpec(linear["url"], revision=linear["middle"]), tmp_path / "ws", log=logs.append)
    assert ws.commit == linear["middle"] and (ws.path / "v").read_text() == "2"
    assert any("would not send" in line for line in logs), logs
    assert any("full history" in line for line in logs), logs


def test_file_url(demo: dict[str, str], tmp_path: Path) -> None:
    ws = fetch_source(SourceSpec(demo["bare"], revision="dev"), tmp_path / "ws")
    assert ws.commit == demo["second"] and ws.url == demo["bare"]


def test_subdir(demo: dict[str, str], tmp_path: Path) -> None:
    ws = fetch_source(SourceSpec(demo["url"], revision="v1", subdir="app"), tmp_path / "ws")
    assert _files(ws.path) == {"server.js", "lib", "lib/x.js"}
    assert ws.subdir == "app" and ws.commit == demo["first"]


def test_missing_subdir_names_the_commit(demo: dict[str, str], tmp_path: Path) -> None:
    with pytest.raises(SourceError) as err:
        fetch_source(SourceSpec(demo["url"], subdir="nope"), tmp_path / "ws")
    assert err.value.exit_code == 3
    assert f"at {demo['third'][:12]}" in err.value.message
    assert not (tmp_path / "ws").exists() and not list(tmp_path.iterdir())


def test_subdir_escape(demo: dict[str, str], tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="inside the source tree"):
        fetch_source(SourceSpec(demo["url"], subdir="../.."), tmp_path / "ws")


@pytest.mark.parametrize("revision", ["nope", "deadbeef", "0" * 40])
def test_unknown_revision(demo: dict[str, str], tmp_path: Path, revision: str) -> None:
    started = time.monotonic()
    with pytest.raises(SourceError) as err:
        fetch_source(SourceSpec(demo["url"], revision=revision), tmp_path / "ws")
    assert err.value.exit_code == 3
    assert err.value.message.startswith(f"revision {revision!r} not found in {demo['url']}")
    assert "branches main, dev" in err.value.hint and "v1" in err.value.hint
    assert time.monotonic() - started < 30
    assert not list(tmp_path.iterdir())


def test_unreachable_host_fails_fast(tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(SourceError) as err:
        fetch_source(SourceSpec("git://127.0.0.1:1/x.git"), tmp_path / "ws")
    assert time.monotonic() - started < 10
    assert err.value.exit_code == 3
    assert err.value.message.startswith("cannot reach git://127.0.0.1:1/x.git")
    assert "Connection refused" in err.value.message


def test_missing_repository(git_daemon: GitDaemon, tmp_path: Path) -> None:
    with pytest.raises(SourceError) as err:
        fetch_source(SourceSpec(git_daemon.url("does-not-exist")), tmp_path / "ws")
    assert "not found" in err.value.message and "credential" in err.value.hint


@pytest.mark.parametrize("url", [
    "http://user:supersecret@127.0.0.1:1/x.git",
    "https://supersecret@127.0.0.1:1/x.git",
    "git://user:supersecret@127.0.0.1:1/x.git",
])
def test_credentials_never_shown(url: str, tmp_path: Path) -> None:
    logs: list[str] = []
    with pytest.raises(SourceError) as err:
        fetch_source(SourceSpec(url), tmp_path / "ws", log=logs.append)
    shown = "\n".join([err.value.message, err.value.hint, str(err.value), repr(err.value), *logs])
    assert "supersecret" not in shown
    assert "***@127.0.0.1:1" in err.value.message
    assert err.value.__cause__ is None and err.value.__suppress_context__


class _AuthRequired(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server API)
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="private"')
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def private_http() -> Iterator[str]:
    with http_server(_AuthRequired) as port:
        yield f"http://127.0.0.1:{port}/private.git"


def test_private_repo_without_credentials_fails_instead_of_prompting(
        private_http: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GIT_ASKPASS", raising=False)
    monkeypatch.delenv("SSH_ASKPASS", raising=False)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    started = time.monotonic()
    with pytest.raises(SourceError) as err:
        fetch_source(SourceSpec(private_http), tmp_path / "ws")
    assert time.monotonic() - started < 10
    assert err.value.message.startswith(f"authentication required for {private_http}")
    assert "GIT_ASKPASS" in err.value.hint


def test_askpass_credentials_are_used(private_http: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """GIT_ASKPASS is honoured: git asks it, sends the answer, and the server's 401 then reads as refused."""
    answered = tmp_path / "asked"
    askpass = tmp_path / "askpass.sh"
    askpass.write_text(f"#!/bin/sh\necho \"$1\" >> {answered}\necho hunter2-token\n")
    askpass.chmod(0o755)
    monkeypatch.setenv("GIT_ASKPASS", str(askpass))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    logs: list[str] = []
    with pytest.raises(SourceError) as err:
        fetch_source(SourceSpec(private_http), tmp_path / "ws", log=logs.append)
    assert "Username" in answered.read_text()
    assert "authentication" in err.value.message.lower()
    assert "hunter2" not in err.value.message + "".join(logs)


@pytest.fixture(scope="module")
def with_submodule(git_daemon: GitDaemon, tmp_path_factory: pytest.TempPathFactory) -> str:
    lib = tmp_path_factory.mktemp("lib-src")
    (lib / "lib.js").write_text("module.exports = 1")
    lib_url = git_daemon.publish_repo("lib", lib)
    git_daemon.commit_change("lib", "lib.js", "module.exports = 2")
    app = tmp_path_factory.mktemp("super-src")
    (app / "index.js").write_text("require('./vendor/lib/lib.js')")
    url = git_daemon.publish_repo("super", app)
    work = git_daemon.work_path / "super"
    _git(work, "submodule", "add", "-q", lib_url, "vendor/lib")
    _git(work, "commit", "-qm", "add lib")
    _git(work, "push", "-q", "origin", "main")
    # Move lib's main on, so the pinned commit is no longer a branch tip.
    git_daemon.commit_change("lib", "lib.js", "module.exports = 3")
    return url


def test_submodules(with_submodule: str, tmp_path: Path) -> None:
    ws = fetch_source(SourceSpec(with_submodule), tmp_path / "ws")
    assert (ws.path / "vendor" / "lib" / "lib.js").read_text() == "module.exports = 2"
    assert ".gitmodules" in _files(ws.path)
    assert not [p for p in _files(ws.path) if p.split("/")[-1] == ".git"]


def test_project_toml_in_repo(git_daemon: GitDaemon, tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "svc" / "test").mkdir(parents=True)
    (src / "svc" / "index.js").write_text("x")
    (src / "svc" / "test" / "a.test.js").write_text("x")
    (src / "svc" / "NOTES.md").write_text("x")
    (src / "svc" / "project.toml").write_text(
        '[_]\nschema-version = "0.2"\n[io.buildpacks]\nexclude = ["/test/", "*.md"]\n'
        '[[io.buildpacks.build.env]]\nname = "NODE_OPTIONS"\nvalue = "--max-old-space-size=512"\n')
    url = git_daemon.publish_repo("with-project", src)
    ws = fetch_source(SourceSpec(url, subdir="svc"), tmp_path / "ws")
    assert _files(ws.path) == {"index.js", "project.toml"}
    assert ws.build_env == {"NODE_OPTIONS": "--max-old-space-size=512"}


def test_exec_bit_and_symlinks_survive_the_clone(git_daemon: GitDaemon, tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "bin").mkdir(parents=True)
    (src / "bin" / "start").write_text("#!/bin/sh\n")
    (src / "bin" / "start").chmod(0o755)
    (src / "start").symlink_to("bin/start")
    (src / "escape").symlink_to("../../../etc/passwd")
    url = git_daemon.publish_repo("modes", src)
    ws = fetch_source(SourceSpec(url), tmp_path / "ws")
    assert (ws.path / "bin" / "start").stat().st_mode & 0o111 == 0o111
    assert (ws.path / "start").is_symlink()
    assert not (ws.path / "escape").is_symlink()


def test_empty_repository(git_daemon: GitDaemon, tmp_path: Path) -> None:
    bare = git_daemon.base_path / "empty.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    with pytest.raises(SourceError, match="empty repository"):
        fetch_source(SourceSpec(git_daemon.url("empty")), tmp_path / "ws")


def test_submodule_on_a_refused_transport_names_the_cause(git_daemon: GitDaemon, tmp_path: Path) -> None:
    """A file:// submodule behind a git:// superproject: git refuses the transport (protocol.file.allow).

    The error names the submodule, its URL and the refused transport; no "shallow
    submodule fetch refused" line comes first, since a full fetch would fail the same way.
    """
    lib = tmp_path / "lib-src"
    lib.mkdir()
    (lib / "lib.js").write_text("module.exports = 1")
    git_daemon.publish_repo("filelib", lib)
    lib_url = (git_daemon.base_path / "filelib.git").as_uri()
    app = tmp_path / "app-src"
    app.mkdir()
    (app / "index.js").write_text("require('./vendor/lib/lib.js')")
    url = git_daemon.publish_repo("file-super", app)
    work = git_daemon.work_path / "file-super"
    _git(work, "-c", "protocol.file.allow=always", "submodule", "add", "-q", lib_url, "vendor/lib")
    _git(work, "commit", "-qm", "add lib over file://")
    _git(work, "push", "-q", "origin", "main")
    logs: list[str] = []
    with pytest.raises(SourceError) as err:
        fetch_source(SourceSpec(url), tmp_path / "ws", log=logs.append)
    message = err.value.message
    assert message.startswith(f"submodule vendor/lib ({lib_url}) uses the 'file' transport"), message
    assert "transport 'file' not allowed" in message
    assert "protocol.file.allow" in err.value.hint and "https://" in err.value.hint
    assert not any("shallow submodule fetch refused" in line for line in logs), logs
    assert err.value.exit_code == 3
    assert not (tmp_path / "ws").exists()
