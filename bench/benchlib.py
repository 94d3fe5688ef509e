"""What every bench/build.py app shares: processes, the throw-away registry, image sizes, the Debian base
docker builds on, the timed cold / code-change steps and the report. See bench/build.py for the method."""

from __future__ import annotations

import argparse
import hashlib
import contextlib
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parents[1]
ASSETS = Path(__file__).resolve().parent / "dockerfile"
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
# debian:*-slim's dpkg path excludes (debuerreotype --slimify).
SLIM = ["path-exclude=/usr/share/doc/*", "path-include=/usr/share/doc/*/copyright", "path-exclude=/usr/share/man/*",
        "path-exclude=/usr/share/groff/*", "path-exclude=/usr/share/info/*", "path-exclude=/usr/share/lintian/*",
        "path-exclude=/usr/share/linda/*", "path-exclude=/usr/share/locale/*",
        "path-include=/usr/share/locale/locale.alias"]  # fmt: skip
MANIFEST_TYPES = ", ".join([
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
])


class BenchError(Exception):
    """A step failed: the message says which, and what it printed last."""



@dataclass(frozen=True)
class DockerTime:
    """One `docker build` + `docker push`."""

    build: float
    push: float

    @property
    def total(self) -> float:
        return self.build + self.push


@dataclass(frozen=True)
class ImageSize:
    """A pushed image's layers, base first: (gzip bytes as stored in the registry, tar stream bytes)."""

    layers: tuple[tuple[int, int], ...]

    @property
    def compressed(self) -> int:
        return sum(gz for gz, _ in self.layers)

    @property
    def uncompressed(self) -> int:
        return sum(raw for _, raw in self.layers)


@dataclass(frozen=True)
class Step:
    """One row of the table."""

    name: str
    dockless: float
    docker: DockerTime
    goal: float


# ---------------------------------------------------------------- processes


def run(argv: Sequence[str], what: str, *, cwd: Path | None = None, env: dict[str, str] | None = None,
        stdin: int | None = None) -> subprocess.CompletedProcess[str]:
    """Run a command to completion; a failure raises BenchError with the last lines it printed."""
    try:
        proc = subprocess.run(list(argv), cwd=cwd, env=env, stdin=stdin, capture_output=True, text=True)
    except FileNotFoundError:
        raise BenchError(f"{what}: {argv[0]} is not installed") from None
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-25:])
        raise BenchError(f"{what} failed (exit {proc.returncode}): {' '.join(argv)}\n{tail}")
    return proc


def timed(argv: Sequence[str], what: str, *, cwd: Path | None = None,
          env: dict[str, str] | None = None) -> tuple[float, subprocess.CompletedProcess[str]]:
    """(wall seconds, result) of one command."""
    start = time.perf_counter()
    proc = run(argv, what, cwd=cwd, env=env)
    return time.perf_counter() - start, proc


def docker_ok() -> bool:
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=20).returncode == 0
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return False


def ensure_docker() -> None:
    """A working Docker engine, started by scripts/setup-system when it is not running."""
    if docker_ok():
        return
    print("docker info fails: running scripts/setup-system to start dockerd", file=sys.stderr)
    run([str(REPO_ROOT / "scripts" / "setup-system")], "scripts/setup-system")
    if not docker_ok():
        raise BenchError("no Docker engine: `docker info` still fails after scripts/setup-system")


# ---------------------------------------------------------------- registry


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def local_registry(work: Path) -> Iterator[str]:
    """A fresh `docker-registry serve` on 127.0.0.1 with its storage in `work`; yields host:port."""
    if shutil.which("docker-registry") is None:
        raise BenchError("docker-registry is not installed (apt-get install docker-registry)")
    port = free_port()
    config = work / "registry.yml"
    config.write_text(f"version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n"
                      f"    rootdirectory: {work / 'registry'}\nhttp:\n  addr: 127.0.0.1:{port}\n")
    log = (work / "registry.log").open("w")
    proc = subprocess.Popen(["docker-registry", "serve", str(config)], stdout=log, stderr=subprocess.STDOUT)
    host = f"127.0.0.1:{port}"
    try:
        wait_for_registry(host, proc)
        yield host
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def wait_for_registry(host: str, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(100):
        if proc.poll() is not None:
            raise BenchError(f"docker-registry exited with {proc.returncode} (see its log in the work dir)")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"http://{host}/v2/", timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    raise BenchError(f"docker-registry did not answer on {host} within 10 s")


def image_size(host: str, repo: str, tag: str) -> ImageSize:
    """Layer count and sizes of a pushed image, read from its manifest and blobs."""
    with httpx.Client(base_url=f"http://{host}/v2/{repo}", timeout=60) as client:
        resp = client.get(f"/manifests/{tag}", headers={"Accept": MANIFEST_TYPES})
        resp.raise_for_status()
        sizes = []
        for layer in resp.json()["layers"]:
            with client.stream("GET", f"/blobs/{layer['digest']}", follow_redirects=True) as blob:
                blob.raise_for_status()
                sizes.append((int(layer["size"]), gunzipped_size(blob.iter_bytes())))
    return ImageSize(tuple(sizes))


def gunzipped_size(chunks: Iterable[bytes]) -> int:
    """Bytes out of a gzip stream, multi-member included (parallel compressors write several)."""
    total = 0
    inflater = zlib.decompressobj(wbits=31)
    for chunk in chunks:
        while chunk:
            total += len(inflater.decompress(chunk))
            chunk = inflater.unused_data if inflater.eof else b""
            if inflater.eof:
                inflater = zlib.decompressobj(wbits=31)
    return total


# ---------------------------------------------------------------- the Dockerfile side


def image_exists(tag: str) -> bool:
    return subprocess.run(["docker", "image", "inspect", tag], capture_output=True).returncode == 0


def ensure_debian_base(suite: str, mirror: str) -> str:
    """bench/debian:<suite>-slim, made once with mmdebstrap (minbase + slim excludes) and `docker import`."""
    tag = f"bench/debian:{suite}-slim"
    if image_exists(tag):
        return tag
    if shutil.which("mmdebstrap") is None:
        raise BenchError("mmdebstrap is not installed (apt-get install mmdebstrap)")
    print(f"making {tag} with mmdebstrap (once; kept for later runs)", file=sys.stderr)
    mode = "root" if os.geteuid() == 0 else "unshare"
    argv = ["mmdebstrap", f"--mode={mode}", "--variant=minbase", "--quiet",
            *[f"--dpkgopt={opt}" for opt in SLIM], suite, "-", mirror]  # fmt: skip
    with tempfile.TemporaryFile() as tar:
        if subprocess.run(argv, stdout=tar).returncode != 0:
            raise BenchError(f"mmdebstrap failed: {' '.join(argv)}")
        tar.seek(0)
        run(["docker", "import", "-", tag], "docker import", stdin=tar.fileno())
    return tag


def docker_env() -> dict[str, str]:
    return {**os.environ, "DOCKER_BUILDKIT": "0"}


def docker_reset(images: Sequence[str]) -> None:
    """Forget earlier bench builds: build cache pruned, the app images (and their parent steps) removed."""
    run(["docker", "builder", "prune", "-af"], "docker builder prune")
    present = [image for image in images if image_exists(image)]
    if present:
        run(["docker", "rmi", "-f", *present], "docker rmi")



def ensure_base_image(name: str, dockerfile: Path, build_args: dict[str, str], files: dict[str, Path], work: Path,
                      *, target: str | None = None) -> str:
    """bench/<name>-<recipe>: a local stand-in for a pulled base image, built once from `dockerfile` (+ `files`
    in its context) and kept; the tag changes with the recipe (the Dockerfile, its build args, the target)."""
    recipe = hashlib.sha256(dockerfile.read_bytes() + repr(sorted(build_args.items())).encode()
                            + (target or "").encode()).hexdigest()[:8]
    tag = f"bench/{name}-{recipe}"
    if image_exists(tag):
        return tag
    print(f"making {tag} (once; kept for later runs)", file=sys.stderr)
    ctx = Path(tempfile.mkdtemp(prefix="base-", dir=work))
    for dest, path in files.items():
        shutil.copy(path, ctx / dest)
    shutil.copy(dockerfile, ctx / "Dockerfile")
    argv = ["docker", "build", "--network", "host", "-t", tag]
    argv += [a for key, value in build_args.items() for a in ("--build-arg", f"{key}={value}")]
    argv += ["--target", target] if target else []
    run([*argv, str(ctx)], f"docker build ({tag})", env=docker_env())
    shutil.rmtree(ctx)
    return tag


def docker_build_push(src: Path, image: str, build_args: dict[str, str], *, no_cache: bool) -> DockerTime:
    """`docker build` then `docker push` of the app; seconds of each."""
    argv = ["docker", "build", "--network", "host", "-t", image]
    argv += [a for key, value in build_args.items() for a in ("--build-arg", f"{key}={value}")]
    if no_cache:
        argv.insert(2, "--no-cache")
    build_s, out = timed([*argv, str(src)], "docker build", env=docker_env())
    if not no_cache and "Using cache" not in out.stdout:
        print("warning: the docker rebuild used no cached step", file=sys.stderr)
    push_s, _ = timed(["docker", "push", image], "docker push")
    return DockerTime(build_s, push_s)


# ---------------------------------------------------------------- the app under test


@dataclass
class Prepared:
    """What an app's `prepare` made ready: the docker build args (its bases), the dockless `--env`s, an untimed
    warm-up app for dockless, and a line saying which versions both sides run."""

    build_args: dict[str, str]
    dockless_env: dict[str, str]
    warmup: Path
    versions: str
    warmup_check: list[str] = field(default_factory=list)  # lines the warm-up log must hold (same versions)


class App:
    """One benchmarked example: its Dockerfile peer, how both sides are warmed, and its one-line code change."""

    name = ""
    example: Path
    dockerfile: Path
    dockerignore: Path
    reused_marker = ""  # what dockless logs when a code change reuses the dependency layer

    @contextlib.contextmanager
    def prepare(self, args: argparse.Namespace, work: Path) -> Iterator[Prepared]:
        raise NotImplementedError
        yield

    def change_one_line(self, src: Path) -> None:
        raise NotImplementedError


def replace_line(path: Path, old: str, new: str) -> None:
    """The code change: `old` (which must be there) becomes `new`, once."""
    text = path.read_text()
    changed = text.replace(old, new, 1)
    if changed == text:
        raise BenchError(f"{path}: the line to edit was not found")
    path.write_text(changed)


# ---------------------------------------------------------------- the dockless side


def dockless(src: Path, image: str, cache: Path, env: dict[str, str], what: str) -> tuple[float, str]:
    """Seconds of one `python -m builder build`, and what it logged."""
    argv = [sys.executable, "-m", "builder", "build", str(src), "--image", image, "--cache-dir", str(cache)]
    argv += [a for key, value in env.items() for a in ("--env", f"{key}={value}")]
    seconds, proc = timed(argv, what, cwd=REPO_ROOT)
    return seconds, proc.stderr


def check_dockless_deps(app: App, log: str, *, reused: bool, what: str) -> None:
    """Warn when dockless reused the dependencies in a cold build, or installed them again after a code change."""
    if (app.reused_marker in log) != reused:
        print(f"warning: the dockless {what} build {'reinstalled' if reused else 'reused'} the dependencies",
              file=sys.stderr)


def prepare_sources(app: App, work: Path) -> tuple[Path, Path]:
    """Two copies of the example: one for dockless, one with the Dockerfile and .dockerignore."""
    plain = work / "src-dockless"
    shutil.copytree(app.example, plain, ignore=shutil.ignore_patterns("node_modules", ".git", "target", ".bundle",
                                                                      "vendor"))
    with_dockerfile = work / "src-docker"
    shutil.copytree(plain, with_dockerfile)
    shutil.copy(app.dockerfile, with_dockerfile / "Dockerfile")
    shutil.copy(app.dockerignore, with_dockerfile / ".dockerignore")
    return plain, with_dockerfile


# ---------------------------------------------------------------- report


def describe(app: App, versions: str) -> list[str]:
    docker = run(["docker", "version", "--format", "client {{.Client.Version}}, engine {{.Server.Version}}"],
                 "docker version").stdout.strip()
    sha = run(["git", "rev-parse", "--short=12", "HEAD"], "git rev-parse", cwd=REPO_ROOT).stdout.strip()
    dirty = run(["git", "status", "--porcelain", "--", "builder", "buildpacks", "detectors"], "git status",
                cwd=REPO_ROOT).stdout.strip()  # fmt: skip
    return [
        f"examples/{app.name}: dockless {sha}{' (+ uncommitted changes)' if dirty else ''}; docker {docker}",
        f"{versions}; {os.cpu_count()} CPUs, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
        f"{platform.machine()}",
    ]


def report(header: list[str], steps: list[Step], sizes: dict[str, ImageSize]) -> str:
    lines = [*header, ""]
    lines.append(f"{'step':14} {'dockless s':>10} {'docker s':>9} {'(build + push)':>16} {'ratio':>6} {'goal':>7}")
    for s in steps:
        ratio = s.dockless / s.docker.total
        split = f"({s.docker.build:.1f} + {s.docker.push:.1f})"
        mark = "ok" if ratio <= s.goal else "missed"
        lines.append(f"{s.name:14} {s.dockless:10.1f} {s.docker.total:9.1f} {split:>16} {ratio:6.2f}"
                     f" {'<=' + format(s.goal, '.1f'):>5} {mark}")
    lines.append("")
    lines.append(f"{'image':14} {'layers':>6} {'compressed MB':>14} {'uncompressed MB':>16}")
    for name, size in sizes.items():
        lines.append(f"{name:14} {len(size.layers):6} {size.compressed / 1e6:14.1f} {size.uncompressed / 1e6:16.1f}")
    d, k = sizes["dockless"], sizes["docker"]
    mark = "ok" if d.compressed / k.compressed <= 0.5 else "missed"
    lines.append(f"{'ratio':14} {'':6} {d.compressed / k.compressed:14.2f} {d.uncompressed / k.uncompressed:16.2f}"
                 f"   goal <=0.5 (compressed) {mark}")
    lines.append("")
    lines.append("layers, base first (MB gzip/tar; layers under 0.05 MB tar not shown):")
    for name, size in sizes.items():
        shown = [f"{gz / 1e6:.1f}/{raw / 1e6:.1f}" for gz, raw in size.layers if raw >= 50_000]
        lines.append(f"  {name:12} {'  '.join(shown)}")
    return "\n".join(lines)




# ---------------------------------------------------------------- the run


def bench(app: App, args: argparse.Namespace, work: Path) -> str:
    """Prepare both sides, run the four timed steps, and return the report."""
    ensure_docker()
    with app.prepare(args, work) as ready:
        src, docker_src = prepare_sources(app, work)
        cache = work / "dockless-cache"
        print("dockless warm-up build (untimed)", file=sys.stderr)
        _, warm_log = dockless(ready.warmup, f"oci:{work / 'warmup-oci'}:warmup", cache, ready.dockless_env,
                               "dockless warm-up build")
        for expected in ready.warmup_check:
            if expected not in warm_log:
                print(f"warning: dockless did not log '{expected}'; the two images may differ", file=sys.stderr)
        with local_registry(work) as host:
            ours, theirs = f"{host}/bench/dockless", f"{host}/bench/docker"
            docker_reset([f"{theirs}:cold", f"{theirs}:change"])
            try:
                steps, sizes = timed_steps(app, ready, src, docker_src, ours, theirs, cache, host)
            finally:
                if not args.keep:
                    with contextlib.suppress(BenchError):
                        docker_reset([f"{theirs}:cold", f"{theirs}:change"])
        return report(describe(app, ready.versions), steps, sizes)


def timed_steps(app: App, ready: Prepared, src: Path, docker_src: Path, ours: str, theirs: str, cache: Path,
                host: str) -> tuple[list[Step], dict[str, ImageSize]]:
    """Cold then code change, dockless first then docker each time; the sizes of the cold images."""
    print("cold: dockless", file=sys.stderr)
    cold_ours, log = dockless(src, f"{ours}:cold", cache, ready.dockless_env, "dockless cold build")
    check_dockless_deps(app, log, reused=False, what="cold")
    print("cold: docker build + push", file=sys.stderr)
    cold_theirs = docker_build_push(docker_src, f"{theirs}:cold", ready.build_args, no_cache=True)
    app.change_one_line(src)
    app.change_one_line(docker_src)
    print("code change: dockless", file=sys.stderr)
    change_ours, log = dockless(src, f"{ours}:change", cache, ready.dockless_env, "dockless code-change build")
    check_dockless_deps(app, log, reused=True, what="code-change")
    print("code change: docker build + push", file=sys.stderr)
    change_theirs = docker_build_push(docker_src, f"{theirs}:change", ready.build_args, no_cache=False)
    sizes = {"dockless": image_size(host, "bench/dockless", "cold"), "docker": image_size(host, "bench/docker", "cold")}
    steps = [Step("cold", cold_ours, cold_theirs, 0.5), Step("code change", change_ours, change_theirs, 1.0)]
    return steps, sizes
