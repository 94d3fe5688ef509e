"""Start commands as argv: the app stays PID 1 and `docker run IMAGE ARGS…` reaches it.

The argv table pins the shapes; the runs below execute them with the real
/bin/sh, appending arguments exactly as Docker appends run arguments to the
ENTRYPOINT, and check what the program received and that it replaced the shell.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from builder.buildpack.launch import SHELL, command_argv, make_processes
from builder.errors import BuildError

SH = [SHELL, "-c"]


@pytest.mark.parametrize(("command", "argv"), [
    ("node server.js", ["node", "server.js"]),
    ("  next start -p 3000 ", ["next", "start", "-p", "3000"]),
    ("node app.js --name 'my app'", ["node", "app.js", "--name", "my app"]),
    ("node app.js --port $PORT", [*SH, 'exec node app.js --port $PORT "$@"', "sh"]),
    ("node app.js > /tmp/log", [*SH, 'exec node app.js > /tmp/log "$@"', "sh"]),
    ("A=1 B='x y' node app.js", [*SH, "A=1 B='x y' exec node app.js \"$@\"", "sh"]),
    ("node app.js $FLAGS # start it", [*SH, 'exec node app.js $FLAGS "$@"', "sh"]),
    ("node app.js # no shell needed", ["node", "app.js"]),
    ("node a.js && node b.js", [*SH, 'node a.js && exec node b.js "$@"', "sh"]),
    ("cd src; PORT=1 node a.js", [*SH, 'cd src; PORT=1 exec node a.js "$@"', "sh"]),
    ("node a.js || node b.js", [*SH, "node a.js || node b.js", "sh"]),
    ("echo 'a && b' | cat", [*SH, "echo 'a && b' | cat", "sh"]),
    ('exec node x.js "$@"', [*SH, 'exec node x.js "$@"', "sh"]),
    ("exec node x.js", ["node", "x.js"]),
    ("node a.js; node b.js # c", [*SH, 'node a.js; exec node b.js "$@"', "sh"]),
    ("node a.js 2>&1", [*SH, "node a.js 2>&1", "sh"]),
    ("(cd dist && node app.js)", [*SH, "(cd dist && node app.js)", "sh"]),
    ("A=1", [*SH, "A=1", "sh"]),
    ("node 'unterminated", [*SH, "node 'unterminated", "sh"]),
])
def test_argv_shapes(command: str, argv: list[str]) -> None:
    assert command_argv(command) == argv


def test_aliases_apply_to_exec_form_only() -> None:
    aliases = {"node": "/layers/nodejs/node/bin/node"}
    assert command_argv("node server.js", aliases=aliases) == ["/layers/nodejs/node/bin/node", "server.js"]
    assert command_argv("node app.js $X", aliases=aliases) == [*SH, 'exec node app.js $X "$@"', "sh"]
    assert command_argv("nodemon app.js", aliases=aliases) == ["nodemon", "app.js"]


@pytest.mark.parametrize("command", ["", "   ", "# only a comment"])
def test_an_empty_command_is_a_build_error(command: str) -> None:
    with pytest.raises(BuildError, match="the start command is empty") as info:
        command_argv(command)
    assert info.value.exit_code == 5


def test_processes_default_is_web_else_the_first() -> None:
    procs = make_processes({"worker": "node w.js", "web": "node s.js"}, aliases={"node": "/n"})
    assert [(p.type, list(p.command), p.args, p.default, p.working_dir) for p in procs] == [
        ("worker", ["/n", "w.js"], (), False, "/workspace"), ("web", ["/n", "s.js"], (), True, "/workspace")]
    assert [p.default for p in make_processes({"worker": "w", "clock": "c"})] == [True, False]
    assert [p.default for p in make_processes({"worker": "w", "release": "r"}, default="release")] == [False, True]
    assert make_processes({}) == []


# --- what the program receives when the image runs --------------------------------------------

SHOW = "import json, os, sys; print(json.dumps({'argv': sys.argv[1:], 'pid': os.getpid()}))\n"


def run(argv: list[str], run_args: list[str], cwd: Path) -> tuple[list[str], bool]:
    """Run `argv + run_args` (Docker: ENTRYPOINT + run arguments); (the program's argv, it replaced the shell)."""
    proc = subprocess.Popen([*argv, *run_args], cwd=cwd, stdout=subprocess.PIPE, text=True,
                            env={"PORT": "8080", "FLAGS": "-v", "PATH": "/usr/bin:/bin"})
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0
    shown = json.loads(out)
    return shown["argv"], shown["pid"] == proc.pid


@pytest.fixture
def app(tmp_path: Path) -> Path:
    (tmp_path / "show.py").write_text(SHOW)
    return tmp_path


PY = sys.executable


@pytest.mark.parametrize(("command", "received"), [
    (f"{PY} show.py", ["--sink=http://x", "--interval=1"]),
    (f"{PY} show.py --port $PORT", ["--port", "8080", "--sink=http://x", "--interval=1"]),
    (f"LOG=1 {PY} show.py $FLAGS", ["-v", "--sink=http://x", "--interval=1"]),
    (f"{PY} show.py 'a b' # comment", ["a b", "--sink=http://x", "--interval=1"]),
    (f"{PY} show.py ${{PORT}} > /dev/stdout", ["8080", "--sink=http://x", "--interval=1"]),
])
def test_run_arguments_reach_a_single_command_which_is_the_process(app: Path, command: str,
                                                                   received: list[str]) -> None:
    argv, replaced_the_shell = run(command_argv(command), ["--sink=http://x", "--interval=1"], app)
    assert argv == received
    assert replaced_the_shell  # in the container: the app is PID 1 and gets SIGTERM


def test_without_run_arguments_the_command_runs_as_written(app: Path) -> None:
    assert run(command_argv(f"{PY} show.py --port $PORT"), [], app) == (["--port", "8080"], True)


def test_a_sequence_execs_its_last_command_with_them(app: Path) -> None:
    assert run(command_argv(f"true && {PY} show.py x"), ["--a=1"], app) == (["x", "--a=1"], True)
    assert run(command_argv(f"cd . ; {PY} show.py x"), [], app) == (["x"], True)


def test_other_compound_commands_get_them_as_positional_parameters_only(app: Path) -> None:
    assert run(command_argv(f"false || {PY} show.py x"), ["--a=1"], app)[0] == ["x"]  # not forwarded
    assert run(command_argv(f'false || {PY} show.py x "$@"'), ["--a=1", "--b=2"], app)[0] == ["x", "--a=1", "--b=2"]
