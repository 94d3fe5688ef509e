"""Every error dockless raises on purpose, and the exit code each one maps to.

    DocklessError                 exit 1   (base; something unexpected but explained)
    ├── UsageError                exit 2   bad flags, malformed reference or input file
    ├── SourceError               exit 3   clone/checkout failed, unknown revision, bad archive
    ├── DetectionError            exit 4   no detector matched the workspace
    ├── BuildError                exit 5   a buildpack failed (install, compile, bad version range)
    ├── StackError                exit 6   Debian archive: unknown package, bad signature, checksum
    ├── IntegrityError            exit 7   a download did not match its published digest
    └── PublishError              exit 8   writing the image failed (registry, daemon, disk)
        ├── RegistryError         exit 8   a registry answered with an error (typed codes)
        │   └── AuthError         exit 9   credentials missing or refused
        ├── UnreachableError      exit 10  host did not answer / TLS failed
        └── DaemonError           exit 11  no Docker daemon reachable, or it refused
    NotFoundError                 exit 12  image, tag or repository does not exist (reading)

Each error carries one sentence (`message`) and a `hint`; the CLI prints
"error: <message>" and "hint: <hint>" and exits with `exit_code`. Third-party
exceptions are translated at module boundaries, never shown raw.
"""

from __future__ import annotations


class DocklessError(Exception):
    """Base of all dockless errors: a sentence, a hint and an exit code."""

    exit_code: int = 1
    default_hint: str = "run again with --verbose for details"

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint or self.default_hint

    def __str__(self) -> str:
        return self.message


class UsageError(DocklessError):
    exit_code = 2
    default_hint = "see 'dockless --help'"


class SourceError(DocklessError):
    exit_code = 3
    default_hint = "check the URL, the revision and your git credentials"


class DetectionError(DocklessError):
    exit_code = 4
    default_hint = "run 'dockless detect SOURCE' to see why each detector did not match"


class BuildError(DocklessError):
    exit_code = 5
    default_hint = "run again with --verbose to see the build output"


class StackError(DocklessError):
    exit_code = 6
    default_hint = "check --suite, --mirror and the package names"


class IntegrityError(DocklessError):
    exit_code = 7
    default_hint = "the download was corrupted or tampered with; it was discarded, try again"


class PublishError(DocklessError):
    exit_code = 8
    default_hint = "check the destination reference and that you may write to it"


class RegistryError(PublishError):
    """A registry's error response, with the distribution-spec error codes it sent."""

    def __init__(
        self,
        message: str,
        hint: str | None = None,
        *,
        status: int = 0,
        codes: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message, hint)
        self.status = status
        self.codes = codes

    @property
    def temporary(self) -> bool:
        """True when retrying the same request may succeed."""
        return self.status in (408, 429) or self.status >= 500 or "TOOMANYREQUESTS" in self.codes


class AuthError(RegistryError):
    exit_code = 9
    default_hint = "log in with 'docker login HOST' or check $DOCKER_CONFIG/config.json"


class UnreachableError(PublishError):
    exit_code = 10
    default_hint = "check the host name and port, your network, and --insecure-registry for plain HTTP"


class DaemonError(PublishError):
    exit_code = 11
    default_hint = "start dockerd or set DOCKER_HOST; or write to oci:DIR / docker-archive:FILE instead"


class NotFoundError(DocklessError):
    exit_code = 12
    default_hint = "check the repository name and tag (dockless inspect REF)"
