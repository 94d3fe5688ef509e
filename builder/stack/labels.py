"""The labels a stack image carries: which suite, which archive state, which package versions.

They let a person (or `dockless inspect`) see what the run image is made of, and let a
buildpack adding packages on top know what is there already (`installed_packages`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from builder.stack.debian import Package, Release

SUITE = "io.dockless.stack.suite"
RELEASE = "io.dockless.stack.release"
RELEASE_DATE = "io.dockless.stack.release-date"
ARCH = "io.dockless.stack.arch"
PACKAGES = "io.dockless.stack.packages"


def stack_labels(release: Release, arch: str, packages: Sequence[Package]) -> dict[str, str]:
    """Labels for an image made from `packages` of `release`; the mirror is left out (same bytes from any)."""
    return {
        SUITE: release.codename,
        RELEASE: release.version,
        RELEASE_DATE: release.date.strftime("%Y-%m-%dT%H:%M:%SZ"),
        ARCH: arch,
        PACKAGES: ",".join(f"{p.name}={p.version}" for p in sorted(packages, key=lambda p: p.name)),
        "io.buildpacks.base.distro.name": "debian",
        "io.buildpacks.base.distro.version": release.version,
        "org.opencontainers.image.description": f"dockless run image: Debian {release.codename} ({arch})",
    }


def installed_packages(labels: Mapping[str, str]) -> dict[str, str]:
    """Package name → version, from an image made by dockless; empty for any other image."""
    text = labels.get(PACKAGES, "")
    return dict(item.split("=", 1) for item in text.split(",") if "=" in item)
