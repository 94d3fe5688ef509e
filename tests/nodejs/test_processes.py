"""Launch processes: which command becomes `web`, and argv that keeps the app as PID 1."""

from __future__ import annotations

import pytest

from buildpacks.nodejs.processes import NODE, SHELL, command_argv, needs_package_manager, processes


@pytest.mark.parametrize(("command", "argv"), [
    ("node server.js", [NODE, "server.js"]),
    ("  node --enable-source-maps dist/app.js --name 'my app' ", [NODE, "--enable-source-maps", "dist/app.js", "--name", "my app"]),
    ("next start", ["next", "start"]),
    ("node app.js --port $PORT", [SHELL, "-c", 'exec node app.js --port $PORT "$@"', "sh"]),
    ("NODE_OPTIONS=--max-old-space-size=256 node app.js",
     [SHELL, "-c", 'NODE_OPTIONS=--max-old-space-size=256 exec node app.js "$@"', "sh"]),
    ("FOO='a b' node app.js ${PORT}", [SHELL, "-c", "FOO='a b' exec node app.js ${PORT} \"$@\"", "sh"]),
    ("node migrate.js && node app.js", [SHELL, "-c", 'node migrate.js && exec node app.js "$@"', "sh"]),
    ("node a.js; node b.js", [SHELL, "-c", 'node a.js; exec node b.js "$@"', "sh"]),
    ("node a.js | tee log", [SHELL, "-c", "node a.js | tee log", "sh"]),
    ("FOO=1", [SHELL, "-c", "FOO=1", "sh"]),
    ("node 'unterminated", [SHELL, "-c", "node 'unterminated", "sh"]),
])
def test_command_argv(command: str, argv: list[str]) -> None:
    assert command_argv(command) == argv


def test_procfile_web_wins_and_other_entries_follow() -> None:
    procs = processes({"worker": "node worker.js", "web": "node web.js"}, "node server.js")
    assert [(p.type, list(p.command), p.default) for p in procs] == [
        ("worker", [NODE, "worker.js"], False), ("web", [NODE, "web.js"], True)]
    assert all(p.working_dir == "/workspace" for p in procs)


def test_start_command_becomes_web() -> None:
    procs = processes({"worker": "node w.js"}, "node server.js")
    assert [(p.type, p.default) for p in procs] == [("web", True), ("worker", False)]


def test_without_web_the_first_procfile_entry_is_default() -> None:
    procs = processes({"worker": "node w.js", "clock": "node c.js"}, "")
    assert [(p.type, p.default) for p in procs] == [("worker", True), ("clock", False)]


def test_no_start_command_leaves_it_to_the_group() -> None:
    assert processes({}, "") == []  # the lifecycle fails the build unless a later buildpack defines one


def test_package_manager_in_a_start_command_is_flagged() -> None:
    assert needs_package_manager(command_argv("npm run serve")) == "npm"
    assert needs_package_manager(command_argv("yarn serve && node x")) == "yarn"
    assert needs_package_manager(command_argv("node server.js")) is None
