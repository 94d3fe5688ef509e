"""`web: npm start` and friends become the script the package manager would run, so the image needs no npm."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from builder.errors import BuildError
from buildpacks.nodejs.processes import processes
from buildpacks.nodejs.scripts import launch_commands, translate

PACKAGE: dict[str, Any] = {"scripts": {
    "start": "node server.js", "prestart": "node migrate.js", "poststart": "echo bye",
    "serve": "npm run start -- --x", "web": "NODE_ENV=prod node a.js", "two": "node a.js && node b.js",
}}


def cmd(command: str, package: dict[str, Any] = PACKAGE, manager: str = "npm", workspace: Path = Path("/nonexistent")) -> str:
    return translate(command, package, manager=manager, workspace=workspace).command


@pytest.mark.parametrize("command", ["npm start", "npm run start", "npm run-script start", "yarn start",
                                     "yarn run start", "npm -s start", "npm run --silent start"])
def test_start_runs_prestart_then_execs_start(command: str) -> None:
    assert cmd(command) == 'node migrate.js && exec node server.js "$@"'


def test_poststart_is_noted_not_run() -> None:
    result = translate("npm start", PACKAGE, manager="npm", workspace=Path("/x"))
    assert any("scripts.poststart does not run at launch" in n for n in result.notes)
    assert "echo bye" not in result.command


@pytest.mark.parametrize(("command", "expected"), [
    ("npm run web", "NODE_ENV=prod node a.js"),
    ("pnpm run web", "NODE_ENV=prod node a.js"),
    ("pnpm web", "NODE_ENV=prod node a.js"),
    ("yarn web", "NODE_ENV=prod node a.js"),
    ("npm run web -- --port 3000", "NODE_ENV=prod node a.js --port 3000"),
    ("yarn web --port 3000", "NODE_ENV=prod node a.js --port 3000"),
    ("npm run two", "node a.js && node b.js"),
])
def test_named_scripts(command: str, expected: str) -> None:
    assert cmd(command) == expected


@pytest.mark.parametrize("command", ["npm test", "npm run nope", "yarn nope", "pnpm run nope"])
def test_a_missing_script_is_one_line_naming_the_process(command: str) -> None:
    with pytest.raises(BuildError, match=r"process 'web' runs '.*', but package.json has no scripts\.(test|nope)"):
        cmd(command)


def test_scripts_that_call_scripts_are_translated_in_turn() -> None:
    assert cmd("yarn serve") == 'node migrate.js && exec node server.js --x "$@"'


def test_yarn_berry_and_pnpm_run_no_pre_post_hooks_unless_pnpm_is_told_to(tmp_path: Path) -> None:
    assert cmd("yarn start", manager="yarn-berry") == "node server.js"
    assert cmd("pnpm start", manager="pnpm", workspace=tmp_path) == "node server.js"
    (tmp_path / ".npmrc").write_text("enable-pre-post-scripts=true\n")
    assert cmd("pnpm start", manager="pnpm", workspace=tmp_path) == 'node migrate.js && exec node server.js "$@"'


def test_start_defaults_to_server_js_for_npm_and_pnpm(tmp_path: Path) -> None:
    (tmp_path / "server.js").write_text("")
    assert cmd("npm start", {}, workspace=tmp_path) == "node server.js"
    with pytest.raises(BuildError, match="no scripts.start"):
        cmd("yarn start", {}, workspace=tmp_path)  # yarn has no such default


@pytest.mark.parametrize("command", ["npx serve", "yarn dlx serve", "npm start --port 3", "yarn add x",
                                     "node server.js", "pnpm exec serve"])
def test_other_commands_are_left_for_the_launch_check(command: str) -> None:
    assert cmd(command) == command


def test_leading_assignments_are_kept() -> None:
    assert cmd("PORT=1 npm run web") == "PORT=1 NODE_ENV=prod node a.js"
    assert cmd("PORT=1 npm start") == 'export PORT=1 && node migrate.js && exec node server.js "$@"'
    assert cmd("PORT=1 npm run two") == "export PORT=1 && node a.js && node b.js"  # for both commands


def test_a_script_calling_itself_is_an_error() -> None:
    with pytest.raises(BuildError, match="levels deep"):
        cmd("npm run loop", {"scripts": {"loop": "npm run loop"}})


def test_procfile_and_detected_start_become_node_processes(tmp_path: Path) -> None:
    procfile, start, notes = launch_commands({"web": "npm start", "worker": "yarn run two"}, "Procfile web",
                                             "npm start", PACKAGE, manager="npm", workspace=tmp_path)
    launch = {p.type: list(p.command) for p in processes(procfile, start)}
    assert launch["web"][:2] == ["/bin/sh", "-c"] and launch["web"][2].endswith('exec node server.js "$@"')
    assert launch["worker"][2] == 'node a.js && exec node b.js "$@"'
    assert any("'npm start' runs scripts.start after scripts.prestart" in n for n in notes)
    # scripts.start as the detected start command runs the way `npm start` would: with prestart
    _, start, _ = launch_commands({}, "scripts.start", "node server.js", PACKAGE, manager="npm", workspace=tmp_path)
    assert start == 'node migrate.js && exec node server.js "$@"'
    _, start, _ = launch_commands({}, "scripts.start", "node server.js", {"scripts": {"start": "node server.js"}},
                                  manager="npm", workspace=tmp_path)
    assert processes({}, start)[0].command == ("/layers/nodejs/node/bin/node", "server.js")


def test_the_exec_chain_keeps_the_app_as_pid_1_and_passes_arguments(tmp_path: Path) -> None:
    """Run the translated script in a real shell: prestart first, then the app replaces the shell."""
    package = {"scripts": {"prestart": "echo pre", "start": "A=1 sh -c 'echo start $A $$ \"$@\"' app"}}
    script = cmd("npm start", package)
    out = subprocess.run(["/bin/sh", "-c", f"echo shell $$; {script}", "sh", "arg1"], capture_output=True,
                         text=True, check=True).stdout.split("\n")
    assert out[1] == "pre"
    shell_pid = out[0].split()[1]
    assert out[2] == f"start 1 {shell_pid} arg1"  # the same PID: exec'd, and the run arguments reach it
