"""Which Java the build gets: the request resolved against the majors the stack's Debian suite offers.

The JDK and JRE are Debian packages (`openjdk-NN-jdk-headless` at build,
`openjdk-NN-jre-headless` at launch), asked for through `BuildContext.packages`,
as Heroku's and Paketo's buildpacks install a vendor JDK and ship only a JRE.
The headless variants pull in no X11 or fonts.

The majors of the default suite (Debian trixie) are listed here, so the common
case needs no package index; an exact major that only another suite has
(OpenJDK 17: bookworm) moves the build there (`Packages.offered`/`use_suite`);
a request no suite has is one line naming every major each suite offers
(exit 5): `Java 11 … it offers Java 17 (bookworm), 21 (trixie), 25 (trixie)`,
and 8 (gone from Debian) names the closest majors above it.
An exact request (BP_JVM_VERSION, system.properties) must be offered as it is;
a minimum (the pom's compiler level, a jar's Build-Jdk-Spec) gets the oldest
offered major at least that, so `--release 17` code builds with javac 21.

Extended build roots make no `update-alternatives` links for the JDK, so the
buildpack never relies on /usr/bin/java: JAVA_HOME is the package's own
directory, /usr/lib/jvm/java-NN-openjdk-<arch>.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from builder.errors import BuildError
from builder.lifecycle.contract import Packages

OFFERED = (21, 25)   # Debian trixie's openjdk-NN packages
LTS = (21, 25)
SUITE = "Debian trixie"
GONE_FROM_DEBIAN = 11          # no Debian suite still served packages an older OpenJDK
SCANNED = tuple(range(8, 31))   # the majors looked up in every suite when a request fits none (error message only)
_VERSION = re.compile(r"^(?:1\.(\d+)|(\d+))(?:[.+_-].*)?$")


@dataclass(frozen=True)
class Jdk:
    """One Java major and where its packages put it."""

    major: int
    arch: str

    @property
    def home(self) -> str:
        return f"/usr/lib/jvm/java-{self.major}-openjdk-{self.arch}"

    @property
    def java(self) -> str:
        return f"{self.home}/bin/java"

    @property
    def jdk_package(self) -> str:
        return f"openjdk-{self.major}-jdk-headless"

    @property
    def jre_package(self) -> str:
        return f"openjdk-{self.major}-jre-headless"


def parse_major(text: str, source: str) -> int:
    """`17`, `21.0.2`, `1.8`, `17.0` -> the major; anything else is a BuildError naming its source."""
    match = _VERSION.match(text.strip())
    if not match:
        raise BuildError(f"'{text}' from {source} is not a Java version",
                         "write a major version such as 21 (or 1.8 style for Java 8)")
    return int(match.group(1) or match.group(2))


def resolve(requested: str, source: str, *, exact: bool, arch: str, packages: Packages | None = None) -> Jdk:
    """The Java to build and run with (see the module docstring); BuildError when no suite has one that fits.

    When the default suite's majors do not fit but another suite of the stack has
    the exact major asked for (OpenJDK 17 is bookworm's), the build moves there
    through `packages.use_suite`, as the Ruby buildpack does for Ruby 3.1.
    """
    offered = ", ".join(str(m) for m in OFFERED)
    if not requested:
        return Jdk(max(LTS), arch)
    major = parse_major(requested, source)
    fits = [m for m in OFFERED if (m == major if exact else m >= major)]
    if fits:
        return Jdk(min(fits), arch)
    elsewhere = packages.offered(f"openjdk-{major}-jdk-headless") if packages is not None else {}
    if packages is not None and elsewhere:
        suite = next(iter(elsewhere))
        packages.use_suite(suite)  # the build log says so: "Java 17 (…) from Debian bookworm"
        return Jdk(major, arch)
    if packages is None:
        kind = "" if exact else " or newer"
        raise BuildError(f"Java {requested}{kind} (from {source}) is not offered by {SUITE}: it offers Java {offered}",
                         f"ask for one of {offered} (BP_JVM_VERSION, system.properties java.runtime.version, "
                         "or the pom's maven.compiler.release)")
    raise _not_offered(requested, major, source, exact, stack_offers(packages))


def stack_offers(packages: Packages) -> dict[int, list[str]]:
    """major -> the stack's Debian suites that package its JDK (`openjdk-NN-jdk-headless`), for every major in
    SCANNED; the default suite's OFFERED are always in it (so a suite whose index cannot be read now still shows)."""
    found: dict[int, list[str]] = {m: [SUITE.removeprefix("Debian ")] for m in OFFERED}
    for major in SCANNED:
        for suite in packages.offered(f"openjdk-{major}-jdk-headless"):
            if suite not in found.setdefault(major, []):
                found[major].append(suite)
    return {m: found[m] for m in sorted(found) if found[m]}


def _not_offered(requested: str, major: int, source: str, exact: bool, offers: Mapping[int, list[str]]) -> BuildError:
    """The one-line error for a Java no suite of the stack has, naming every major each suite offers.

    OpenJDK 8, 9 and 10 are in no Debian suite still served (buster moved to
    11), so for them the message says that, not just "not in this stack"; the
    hint names the closest majors the stack offers at or above the request."""
    listing = ", ".join(f"{m} ({', '.join(suites)})" for m, suites in offers.items())
    newer = [m for m in offers if m >= major][:2] or list(offers)[-2:]
    kind = "" if exact else " or newer"
    if major < GONE_FROM_DEBIAN:
        return BuildError(f"Java {requested} (from {source}) is not in Debian any more, so the stack cannot give it: "
                          f"it offers Java {listing}",
                          f"ask for {' or '.join(map(str, newer))}, the closest the stack offers "
                          f"(e.g. java.runtime.version={newer[0]}): code built for Java {major} runs on them")
    return BuildError(f"Java {requested}{kind} (from {source}) is offered by no Debian suite of the stack: "
                      f"it offers Java {listing}",
                      f"ask for {' or '.join(map(str, newer))}, the closest the stack offers (BP_JVM_VERSION, "
                      "system.properties java.runtime.version, or the pom's maven.compiler.release)")


def debian_arch(oci_arch: str) -> str:
    """Debian's name of an OCI architecture (the JDK directory is named with it)."""
    return {"amd64": "amd64", "arm64": "arm64", "arm": "armhf", "386": "i386", "ppc64le": "ppc64el",
            "s390x": "s390x", "riscv64": "riscv64"}.get(oci_arch, oci_arch)
