"""Running git through GitPython, and turning its failures into one redacted sentence.

git's messages are the only signal for *why* a clone failed (host down,
repository missing, credentials needed, revision unknown); GitPython forces
LC_ALL=C so they are in English and can be matched here. Everything that
leaves this module has been passed through `redact_text`.

GitPython is imported lazily: it refuses to import at all when no git binary
is on PATH, and building a local directory must not need git.
"""

from __future__ import annotations

import re
from enum import Enum
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from builder.errors import SourceError

if TYPE_CHECKING:
    from git.exc import GitCommandError

from ._url import redact_text


class Failure(Enum):
    """Why git failed, as far as its stderr tells."""

    UNREACHABLE = "unreachable"
    NOT_FOUND = "not found"
    AUTH = "authentication required"
    REVISION = "unknown revision"
    TRANSPORT = "transport not allowed"
    OTHER = "other"


# Most specific first: the first pattern found in stderr decides the kind and the line shown.
_PATTERNS: tuple[tuple[re.Pattern[str], Failure], ...] = tuple(
    (re.compile(p, re.IGNORECASE), kind) for p, kind in (
        # git's protocol.<name>.allow policy (file:// refused for submodules since 2.38.1): a local
        # refusal, before any network, so it outranks the "failed to clone" lines that follow it.
        (r"transport '[^']+' not allowed", Failure.TRANSPORT),
        (r"terminal prompts disabled|could not read (username|password)", Failure.AUTH),
        (r"authentication failed|invalid username or password|HTTP Basic: Access denied", Failure.AUTH),
        (r"permission denied \(publickey|host key verification failed", Failure.AUTH),
        (r"returned error: 40[13]\b", Failure.AUTH),
        (r"repository '.*' not found|repository not found|no such repository", Failure.NOT_FOUND),
        (r"does not appear to be a git repository|not exported|returned error: 404\b", Failure.NOT_FOUND),
        (r"could not resolve host|name or service not known|temporary failure in name resolution"
         r"|unable to look up|no address associated", Failure.UNREACHABLE),
        (r"connection refused|connection timed out|timed out|network is unreachable"
         r"|no route to host|couldn't connect|failed to connect|connection reset", Failure.UNREACHABLE),
        (r"SSL certificate problem|server certificate verification failed|gnutls|unable to access",
         Failure.UNREACHABLE),
        (r"unable to connect", Failure.UNREACHABLE),
        (r"couldn't find remote ref|not our ref|unadvertised object|unknown revision|did not contain"
         r"|not a valid object name|bad revision|ambiguous", Failure.REVISION),
        (r"could not read from remote repository", Failure.UNREACHABLE),
    )
)


class GitFailure(Exception):
    """A failed git command: its kind, the most telling stderr line, all of stderr (redacted)."""

    def __init__(self, kind: Failure, line: str, stderr: str) -> None:
        super().__init__(line)
        self.kind, self.line, self.stderr = kind, line, stderr

    def __str__(self) -> str:
        return self.line


def classify(stderr: str) -> tuple[Failure, str]:
    """The failure kind and the stderr line that shows it (last `fatal:`/`error:` line otherwise)."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    for pattern, kind in _PATTERNS:
        for line in lines:
            if pattern.search(line):
                return kind, _tidy(line)
    fatal = [ln for ln in lines if ln.lower().startswith(("fatal:", "error:"))]
    return Failure.OTHER, _tidy((fatal or lines or ["git failed with no message"])[-1])


_NOISE = re.compile(r"^(?:(?:fatal|error|remote): )+|^unable to access '[^']*': |^.*\berrno=", re.IGNORECASE)


def _tidy(line: str) -> str:
    """Drop prefixes that repeat what the message already says (git's tag, the URL, errno=)."""
    previous = None
    while previous != line:
        previous, line = line, _NOISE.sub("", line, count=1).strip()
    return line


class GitRunner:
    """git commands in one working directory, never prompting on a terminal.

    Credential helpers, GIT_ASKPASS and SSH agents keep working; only the
    interactive username/password prompt is off, so a private repository
    without credentials fails instead of hanging a CI job.
    """

    def __init__(self, workdir: Path, secrets: tuple[str, ...]) -> None:
        self.workdir = workdir
        self._gitpython = gitpython()
        self._git = self._gitpython.Git(str(workdir))
        self._git.update_environment(GIT_TERMINAL_PROMPT="0")
        self._secrets = secrets

    def __call__(self, *args: str) -> str:
        exc = self._gitpython.exc
        try:
            out = self._git.execute(["git", *args])
        except exc.GitCommandNotFound:
            raise _no_git() from None
        except exc.GitCommandError as err:
            stderr = redact_text(_raw_stderr(err), self._secrets)
            kind, line = classify(stderr)
            raise GitFailure(kind, line, stderr) from None
        except exc.CommandError as err:
            raise GitFailure(Failure.OTHER, redact_text(str(err.status), self._secrets), "") from None
        return out if isinstance(out, str) else str(out)


def gitpython() -> ModuleType:
    """The `git` (GitPython) module; SourceError when it cannot find a git binary."""
    try:
        import git
    except ImportError:
        raise _no_git() from None
    return git


def _no_git() -> SourceError:
    return SourceError("git is not installed (or not on PATH), and this source needs it",
                       hint="install git (e.g. apt-get install git) or set GIT_PYTHON_GIT_EXECUTABLE")


def _raw_stderr(err: GitCommandError) -> str:
    """GitPython wraps stderr as "\\n  stderr: '…'"; unwrap it."""
    text = err.stderr or ""
    prefix = "\n  stderr: '"
    if text.startswith(prefix) and text.endswith("'"):
        text = text[len(prefix):-1]
    return text
