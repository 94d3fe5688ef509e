"""Image references, parsed once into types.

    host[:port]/repo[:tag|@sha256:…]   RegistryRef (Docker Hub short names expanded)
    oci:DIR[:TAG]                      LayoutRef
    docker-archive:FILE[:NAME:TAG]     ArchiveRef
    docker-daemon:NAME:TAG             DaemonRef

Anything else that looks like a transport (`dir:/x`, `containers-storage:…`,
`docker://host/repo`, an `http(s)://` URL) is a UsageError naming the four
forms: such a prefix would otherwise be read as a registry host `dir:` and
fail later as an unreachable registry (exit 10) or a bogus digest.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from builder.errors import UsageError
from builder.image.digest import Digest

DOCKER_HUB = "docker.io"
DOCKER_HUB_API = "registry-1.docker.io"
NAME_MAX = 255
_REPO_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
_PINNED = re.compile(r"@(sha256|sha512):[0-9a-f]+$")
_HINT = "use host[:port]/repo[:tag], oci:DIR[:TAG], docker-archive:FILE[:NAME:TAG] or docker-daemon:NAME:TAG"
TRANSPORTS = ("oci", "docker-archive", "docker-daemon")
_WORD_PREFIX = re.compile(r"^([A-Za-z][A-Za-z0-9+._-]*):")
_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_USERINFO = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/@]*@")
# skopeo's / containers-image's transport names, with what to write instead here.
_SKOPEO = {
    "dir": "dockless does not write skopeo's dir: layout; use oci:DIR[:TAG] (an OCI image layout skopeo also reads)",
    "containers-storage": "dockless cannot write podman's store; write docker-archive:FILE and 'podman load -i FILE', "
                          "or oci:DIR and 'podman pull oci:DIR'",
    "oci-archive": "dockless writes an OCI layout directory, not a tarball: use oci:DIR[:TAG], "
                   "or docker-archive:FILE for one file",
}


@dataclass(frozen=True)
class RegistryRef:
    registry: str
    repository: str
    tag: str | None = None
    digest: Digest | None = None

    @property
    def api_host(self) -> str:
        """Where the registry API lives (Docker Hub's is not docker.io)."""
        return DOCKER_HUB_API if self.registry == DOCKER_HUB else self.registry

    @property
    def identifier(self) -> str:
        """What goes after /manifests/: the digest when pinned, else the tag."""
        return str(self.digest) if self.digest else (self.tag or "latest")

    @property
    def name(self) -> str:
        return f"{self.registry}/{self.repository}"

    @property
    def familiar(self) -> str:
        """The name as Docker shows it: `nginx`, `me/app`, `host:5000/app`."""
        if self.registry != DOCKER_HUB:
            return self.name
        return self.repository.removeprefix("library/")

    def require_digest(self, actual: Digest) -> None:
        """For a destination: UsageError (exit 2) when this reference pins a digest other than `actual`.

        `repo:tag@sha256:…` as a destination means "this tag, and it must be
        this image"; writing anything else under the tag would be a surprise.
        """
        if self.digest is not None and self.digest != actual:
            shown = f"{self.name}:{self.tag}@{self.digest}" if self.tag else str(self)
            raise UsageError(f"{shown} names digest {self.digest.short} but the image is {actual}",
                             "drop the @sha256:… part to write the tag, or give the image's own digest")

    def with_digest(self, digest: Digest) -> RegistryRef:
        return RegistryRef(self.registry, self.repository, None, digest)

    def is_loopback(self) -> bool:
        return is_loopback_host(self.registry)

    def __str__(self) -> str:
        if self.digest:
            return f"{self.name}@{self.digest}"
        return f"{self.name}:{self.tag or 'latest'}"


@dataclass(frozen=True)
class LayoutRef:
    """`oci:DIR[:TAG][@sha256:…]`: reading picks the entry by tag and/or digest; writing with a
    digest requires it to be the written image's (UsageError otherwise), as for a registry."""

    path: str
    tag: str | None = None
    digest: Digest | None = None

    def require_digest(self, actual: Digest) -> None:
        if self.digest is not None and self.digest != actual:
            raise UsageError(f"{self} names digest {self.digest.short} but the image is {actual}",
                             "drop the @sha256:… part to write the tag, or give the image's own digest")

    def pinned(self, digest: Digest | str) -> str:
        """`oci:DIR[:TAG]@digest`: where an image was written."""
        return f"oci:{self.path}" + (f":{self.tag}" if self.tag else "") + f"@{digest}"

    def __str__(self) -> str:
        return self.pinned(self.digest) if self.digest else f"oci:{self.path}" + (f":{self.tag}" if self.tag else "")


@dataclass(frozen=True)
class ArchiveRef:
    path: str
    name: RegistryRef | None = None

    def require_digest(self, actual: Digest) -> None:
        """UsageError (exit 2) when the NAME:TAG@sha256:… this destination pins is not `actual`,
        quoting the docker-archive: reference as given (as `RegistryRef.require_digest` does for a registry)."""
        if self.name is not None and self.name.digest is not None and self.name.digest != actual:
            raise UsageError(f"{self}@{self.name.digest} names digest {self.name.digest.short} but the image is "
                             f"{actual}", "drop the @sha256:… part to write the tag, or give the image's own digest")

    def __str__(self) -> str:
        name = f":{self.name.familiar}:{self.name.tag or 'latest'}" if self.name else ""
        return f"docker-archive:{self.path}{name}"


@dataclass(frozen=True)
class DaemonRef:
    name: RegistryRef

    def __str__(self) -> str:
        return f"docker-daemon:{self.name.familiar}:{self.name.tag or 'latest'}"


Reference = RegistryRef | LayoutRef | ArchiveRef | DaemonRef


def is_loopback_host(host: str) -> bool:
    """127.0.0.0/8, localhost and ::1 — where Docker speaks plain HTTP by default."""
    h = host
    if h.startswith("["):
        h = h[1:].split("]", 1)[0]
    elif h.count(":") == 1:
        h = h.split(":", 1)[0]
    if h == "localhost":
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


def parse_registry_ref(text: str) -> RegistryRef:
    """`nginx` → docker.io/library/nginx:latest; `host:5000/a/b@sha256:…` as given."""
    original = text
    digest = None
    if "@" in text:
        text, _, d = text.partition("@")
        digest = Digest.parse(d)
    tag = None
    slash = text.rfind("/")
    colon = text.rfind(":")
    if colon > slash:
        text, tag = text[:colon], text[colon + 1:]
        if not _TAG.match(tag):
            raise UsageError(f"'{original}' has an invalid tag '{tag}'", "tags are up to 128 of [A-Za-z0-9_.-]")
    first, _, rest = text.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost" or first.startswith("[")):
        registry, repository = first, rest
    else:
        registry, repository = DOCKER_HUB, text
    if registry in ("index.docker.io", "registry-1.docker.io"):
        registry = DOCKER_HUB
    if registry == DOCKER_HUB and "/" not in repository:
        repository = f"library/{repository}"
    if not repository or not all(_REPO_COMPONENT.match(c) for c in repository.split("/")):
        if repository != repository.lower() and all(_REPO_COMPONENT.match(c) for c in repository.lower().split("/")):
            raise UsageError(f"'{original}' is not a valid image reference: repository names are lower case "
                             "(distribution-spec)", f"use '{original.replace(repository, repository.lower())}'"
                             if repository in original else "write the repository in lower case")
        raise UsageError(f"'{original}' is not a valid image reference", _HINT)
    if len(f"{registry}/{repository}") > NAME_MAX:  # distribution/reference: NameTotalLengthMax
        raise UsageError(f"'{original[:80]}…' names a repository longer than {NAME_MAX} characters",
                         "Docker and registries refuse longer names")
    if tag is None and digest is None:
        tag = "latest"
    return RegistryRef(registry, repository, tag, digest)


def redact_reference(text: str) -> str:
    """`http://user:pw@host/x` → `http://***@host/x`: a reference as it may be quoted in a message."""
    return _USERINFO.sub(lambda m: f"{m.group('scheme')}***@", text)


def _unknown_transport(text: str) -> None:
    """UsageError (exit 2) when `text` starts with a transport dockless does not know, or is a URL.

    A `word:` prefix is a registry host only as `host:PORT/…` (digits) and a
    tag only as `name:tag` with no `/` after it, so `dir:/tmp/x` and
    `foo:bar/baz` are refused here rather than dialled as host `dir:`.
    Docker's own image references have no scheme either (distribution/reference).
    """
    shown = redact_reference(text)
    url = _URL.match(text)
    if url and url.group(1) not in TRANSPORTS:  # `oci:///abs/dir` is a layout path, as before
        scheme = url.group(1).lower()
        if scheme == "docker":
            raise UsageError(f"'{shown}' is skopeo's form of a registry reference",
                             f"drop docker://: write '{shown[len(url.group(0)):]}'")
        if scheme in ("http", "https"):
            rest = text[len(url.group(0)):]
            host_path = rest.split("@", 1)[1] if "@" in rest.split("/", 1)[0] else rest
            raise UsageError(f"'{shown}' is a URL, not an image reference",
                             f"write host[:port]/repo[:tag] without {scheme}://, e.g. '{host_path}'; "
                             "credentials come from 'docker login' (config.json), never from the reference")
        raise UsageError(f"unknown transport '{scheme}://' in '{shown}'", _HINT)
    word = _WORD_PREFIX.match(text)
    if not word or word.group(1) in TRANSPORTS:
        return
    name, rest = word.group(1), text[len(word.group(0)):]
    port, slash, _ = rest.partition("/")
    if slash and port.isdigit():
        return  # host:port/repo
    if not slash and (name.lower() not in _SKOPEO or _TAG.match(rest.partition("@")[0])):
        return  # name:tag on Docker Hub (`docker:dind`, `dir:1`); a bad tag is parse_registry_ref's to say
    hint = _SKOPEO.get(name.lower(), _HINT)
    raise UsageError(f"unknown transport '{name}:' in '{shown}' (dockless knows oci:, docker-archive:, "
                     "docker-daemon: and host/repo)", hint)


def require_registry(text: str, what: str) -> RegistryRef:
    """`text` parsed, and a registry reference: UsageError (exit 2) naming `what` for oci:, docker-archive:
    and docker-daemon:, which a cluster (Kubernetes, Tekton) cannot pull from."""
    ref = parse_reference(text)
    if not isinstance(ref, RegistryRef):
        raise UsageError(f"{what} needs a registry repository, not {ref}: a cluster cannot pull from it",
                         "give host[:port]/repo, e.g. registry.example.com/team")
    return ref


def parse_reference(text: str) -> Reference:
    """Parse any of the four reference forms; UsageError with the forms as hint."""
    if not text or text.strip() != text:
        raise UsageError(f"'{redact_reference(text)}' is not an image reference", _HINT)
    _unknown_transport(text)
    scheme, sep, rest = text.partition(":")
    if sep and scheme == "oci":
        if not rest:
            raise UsageError("oci: needs a directory", "e.g. oci:./out:latest")
        digest = None
        m = _PINNED.search(rest)
        if m:
            rest, digest = rest[:m.start()], Digest.parse(m.group(0)[1:])
        path, _, tag = rest.partition(":")
        return LayoutRef(path, tag or None, digest)
    if sep and scheme == "docker-archive":
        if not rest:
            raise UsageError("docker-archive: needs a file", "e.g. docker-archive:app.tar:app:latest")
        path, _, name = rest.partition(":")
        return ArchiveRef(path, parse_registry_ref(name) if name else None)
    if sep and scheme == "docker-daemon":
        if not rest:
            raise UsageError("docker-daemon: needs NAME:TAG", "e.g. docker-daemon:app:latest")
        return DaemonRef(parse_registry_ref(rest))
    return parse_registry_ref(text)
