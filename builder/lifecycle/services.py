"""The real Services of a build: the built-in Debian stack (or a given run image) and the sandbox.

    with default_services(ctx, log=out.log, progress=out.progress, environ=os.environ,
                          run_image=None) as services:
        report = build(request, services)

Everything here is made on first use: a warm build that needs no new packages
opens no connection to the Debian mirror, and the build root (~130 MB of
.debs the first time) is only made when the sandbox can run here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

from builder.errors import StackError
from builder.image.image import Image
from builder.image.layer import Layer
from builder.image.media import require_platform
from builder.lifecycle.contract import Executor
from builder.lifecycle.pipeline import Services
from builder.reference import Reference
from builder.context import Context
from builder.transport import read_image

ProgressFn = Callable[[str, int, int], None]
SUITES = ("trixie", "bookworm", "forky")
"""The Debian suites a stack is made from, the default first (Debian 13, 12, and testing)."""


@contextmanager
def default_services(ctx: Context, *, log: Callable[[str], None], environ: Mapping[str, str],
                     run_image: Reference | None = None, progress: ProgressFn | None = None,
                     debug: Callable[[str], None] | None = None) -> Iterator[Services]:
    """Services on the built-in stack of the machine's architecture; `run_image` replaces its run image.

    `environ` is the host environment, read here once: SSL_CERT_FILE for the
    mirror and the sandbox's trust, PATH for the host fallback, proxies.
    """
    from builder.sandbox import select_executor
    from builder.sandbox.select import STEP_ENV
    from builder.stack import archive_client, default_build_root, default_run_image, open_archive
    from builder.stack.debian import Archive
    from builder.stack.extend import extend_build_root, launch_package_layer

    cache_root = ctx.store.root
    clients: list[httpx.Client] = []

    def mirror_client() -> httpx.Client:  # made only when the stack must be (re)checked
        clients.append(archive_client(ca_file=environ.get("SSL_CERT_FILE")))
        return clients[-1]

    def report(what: str) -> Callable[[int, int], None]:
        return lambda done, total: progress(what, done, total) if progress else None

    archives: dict[str, Archive] = {}

    def archive(suite: str) -> Archive:
        if suite not in archives:
            archives[suite] = open_archive(cache_root, mirror_client, suite=suite, arch=ctx.platform.architecture)
        return archives[suite]

    def base(suite: str) -> Image:
        if run_image is not None:
            log(f"run image {run_image}")
            image = read_image(run_image, ctx)  # an index gives ctx.platform's entry or NotFoundError
            require_platform(image.platform, ctx.platform, f"the run image {run_image}",
                             f"give a run image built for {ctx.platform}")
            return image
        log(f"run image: the built-in {suite} stack")
        return default_run_image(cache_root, archive(suite), ctx, log=log, progress=report("run image packages"))

    step_suite = environ.get(STEP_ENV)
    if step_suite:
        log(f"in the dockless builder image (Debian {step_suite}): build commands run in this container, "
            "which is the build root")

    def executor(workspace: Path, packages: tuple[str, ...], suite: str) -> Executor:
        def build_root() -> Path:
            root = default_build_root(cache_root, archive(suite), log=log, progress=report("build root packages"))
            return extend_build_root(cache_root, archive(suite), root, packages, log=log) if packages else root

        def packages_root() -> Path:
            return extend_build_root(cache_root, archive(suite), None, packages, log=log)

        return select_executor(build_root, workspace, env=environ, log=debug, notice=log, state_dir=cache_root,
                               packages_root=packages_root if packages else None, suite=suite)

    def package_layer(image: Image, names: Sequence[str], suite: str) -> tuple[Layer, dict[str, str]]:
        return launch_package_layer(archive(suite), names, store=ctx.store, base=image, log=log,
                                    memo_dir=cache_root / "launch-packages")

    def offered(name: str, suites: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for suite in suites:
            try:
                package = archive(suite).packages().get(name)
            except StackError as exc:  # a suite we cannot read now is not an offer (details with -v)
                if debug:
                    debug(f"Debian {suite}: {exc.message}")
                continue
            if package is not None:
                found[suite] = package.version
        return found

    try:
        yield Services(ctx=ctx, log=log, make_executor=executor, run_image=base, package_layer=package_layer,
                       suites=SUITES, offered=offered, fixed_run_image=str(run_image) if run_image else None)
    finally:
        for client in clients:
            client.close()
