"""Running the shell steps of examples/ci's jobs verbatim, as GitHub Actions and GitLab CI run them.

A CI runner does three things before a shell sees a step: it substitutes
`${{ … }}` expressions (GitHub) or expands job variables (GitLab), sets its
own environment (GITHUB_OUTPUT, CI_PROJECT_DIR…), and runs the text with
bash and `-e -o pipefail`. These helpers do the same and nothing more; the
`uses:` actions (checkout, setup-python, cache) are played by the test's
fixtures: a checkout as the working directory, a venv first on PATH, a HOME
kept between runs.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

_EXPRESSION = re.compile(r"\$\{\{\s*([^}]+?)\s*\}\}")
_VARIABLE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")


@dataclass(frozen=True)
class Step:
    """One shell step: its name, the environment it declares, and its script."""

    name: str
    env: dict[str, str]
    script: str


@dataclass(frozen=True)
class StepRun:
    step: Step
    code: int
    output: str


def github_job(path: Path, job: str) -> tuple[list[str], list[Step]]:
    """The `uses:` actions and the `run:` steps of `job`, in order."""
    doc: dict[str, Any] = YAML(typ="safe").load(path.read_text())
    uses: list[str] = []
    steps: list[Step] = []
    for index, step in enumerate(doc["jobs"][job]["steps"]):
        if "uses" in step:
            uses.append(str(step["uses"]).split("@")[0])
        else:
            steps.append(Step(str(step.get("name", f"step {index}")), {k: str(v) for k, v in (step.get("env") or {}).items()},
                              str(step["run"])))
    return uses, steps


def github_expressions(text: str, values: Mapping[str, str]) -> str:
    """`${{ secrets.X }}` etc. replaced as the runner does; an expression the test did not provide is an error."""
    def value(match: re.Match[str]) -> str:
        expression = match.group(1)
        if expression not in values:
            raise KeyError(f"the job uses ${{{{ {expression} }}}}, which the test does not provide")
        return values[expression]

    return _EXPRESSION.sub(value, text)


def gitlab_job(path: Path, job: str) -> tuple[dict[str, str], Step]:
    """The job's `variables:` and its `script:` lines as one step (GitLab runs them in one shell)."""
    doc: dict[str, Any] = YAML(typ="safe").load(path.read_text())
    spec = doc[job]
    variables = {k: str(v) for k, v in (spec.get("variables") or {}).items()}
    return variables, Step(job, {}, "\n".join(str(line) for line in spec["script"]) + "\n")


def gitlab_variables(variables: Mapping[str, str], env: Mapping[str, str]) -> dict[str, str]:
    """Job variables expanded against the CI environment (`$CI_PROJECT_DIR/…`), as the runner does."""
    def value(match: re.Match[str]) -> str:
        return env.get(match.group(1) or match.group(2), "")

    return {name: _VARIABLE.sub(value, text) for name, text in variables.items()}


def run_steps(steps: Sequence[Step], *, cwd: Path, env: Mapping[str, str], wrap: Callable[[list[str]], list[str]],
              expressions: Callable[[str], str] = lambda text: text, timeout: float = 1500) -> list[StepRun]:
    """Run each step with `bash --noprofile --norc -eo pipefail` (GitHub's and GitLab's shell), stopping at
    the first failure; `wrap` wraps the argv (e.g. into a mount namespace)."""
    runs: list[StepRun] = []
    for index, step in enumerate(steps):
        script = cwd.parent / f"step-{index}.sh"
        script.write_text(expressions(step.script))
        step_env = {**env, **{k: expressions(v) for k, v in step.env.items()}}
        done = subprocess.run(wrap(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)]), cwd=cwd,
                              env=step_env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        runs.append(StepRun(step, done.returncode, done.stdout + done.stderr))
        if done.returncode != 0:
            break
    return runs


def base_env(home: Path, venv: Path, ca_bundle: Path) -> dict[str, str]:
    """A runner's clean environment: HOME, the venv first on PATH, the CA bundle, nothing of this test's."""
    path = f"{venv / 'bin'}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    keep = {k: v for k, v in os.environ.items() if k in ("LANG", "TERM", "TMPDIR")}
    return {**keep, "HOME": str(home), "PATH": path, "SSL_CERT_FILE": str(ca_bundle), "CI": "true"}
