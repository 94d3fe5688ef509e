"""The builder (step) image: dockless built by dockless, on a base that is the build root itself.

In a Tekton or Knative Build step there is usually no way to make namespaces
(no privileges, the default seccomp profile), so dockless cannot sandbox its
build commands there: the container must *be* the build root. The builder
image is therefore the built-in run image plus the build root's packages
(`BUILD_PACKAGES`: the tools buildpacks call — bash, git, tar, make, g++ …)
with dockless installed on top by its own Python buildpack, as any Python app
would be. `STEP_ENV` in its config tells dockless where it is (see
builder/sandbox/select.py). ko and Jib build their own images the same way:
with themselves.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from builder.errors import BuildError, UsageError
from builder.image.image import Image
from builder.image.mutate import ConfigChange, append_layers, with_config
from builder.lifecycle.pipeline import Services
from builder.sandbox.select import STEP_ENV
from builder.stack.buildroot import BUILD_PACKAGES
from builder.stack.labels import PACKAGES, installed_packages

BUILDER_PACKAGES = (*BUILD_PACKAGES, "gpgv")
"""The build root's packages, and gpgv: dockless checks the Debian archive's signature when it makes a stack."""


def builder_services(services: Services) -> Services:
    """`services` whose run image is the build root: the run image + BUILDER_PACKAGES in one layer + STEP_ENV.

    The packages' names and versions join the image's package label, so what a
    buildpack adds at launch (Python itself) is not added twice.
    """
    package_layer = services.package_layer
    if package_layer is None:
        raise BuildError("the builder image needs the built-in Debian stack's packages", "leave out --run-image")
    base = services.run_image

    def run_image(suite: str) -> Image:
        image = base(suite)
        layer, debs = package_layer(image, BUILDER_PACKAGES, suite)
        labels = (image.config.get("config") or {}).get("Labels") or {}
        present = {**installed_packages(labels), **debs}
        tools = append_layers(image, [layer], comments=["dockless builder: the build root's packages"])
        return with_config(tools, ConfigChange(
            env={STEP_ENV: suite},
            labels={PACKAGES: ",".join(f"{name}={version}" for name, version in sorted(present.items()))}))

    return dataclasses.replace(services, run_image=run_image)


def dockless_source() -> Path:
    """The source tree this dockless runs from (a checkout or an editable install), for building itself.

    Raises UsageError when dockless was installed from a wheel, which holds no
    pyproject.toml to build from.
    """
    root = Path(__file__).resolve().parents[2]
    pyproject = root / "pyproject.toml"
    if pyproject.is_file() and 'name = "dockless"' in pyproject.read_text(encoding="utf-8", errors="replace"):
        return root
    raise UsageError("this dockless was installed without its source, so it cannot build itself",
                     "pass the dockless source: dockless builder create DIR|GIT_URL --image REF")
