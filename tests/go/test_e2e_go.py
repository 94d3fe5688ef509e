"""Go apps through the real `dockless build`: git:// source, the real Go module proxy and checksum
database, a registry with auth, Docker.

Nothing is faked: the toolchain is golang.org/toolchain from proxy.golang.org, checked against
sum.golang.org's signed tree head; modules come from the proxy through the go command in the build
sandbox; every image is pushed, pulled and run by a real Docker engine and answers over HTTP.
The examples pin their Go release (go.mod `toolchain go1.24.4`, `go 1.24.4`), so one toolchain
download serves the whole session and tests do not depend on today's newest release.
"""

from __future__ import annotations

import io
import json
import re
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.cli import assert_clean_error, dockless
from tests.infra.docker_engine import docker_run_output, run_container
from tests.infra.pushed import layers, sbom
from tests.infra.registry import Registry

Publish = Callable[..., tuple[str, str]]  # tests/e2e/conftest.py `publish`
TOKEN = "s3cr3t-go-proxy-token"
CHI_MAIN = (Path(__file__).resolve().parents[2] / "examples" / "go-chi" / "main.go").read_text()


def env_args(env: dict[str, str]) -> list[str]:
    return [arg for key, value in env.items() for arg in ("--env", f"{key}={value}")]




def names(data: bytes) -> list[str]:
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return [name.lstrip("./") for name in tar.getnames()]




def compressed_size(registry: Registry, repo: str, digest: str) -> int:
    manifest = json.loads(registry.manifest(repo, digest)[0])
    return sum(layer["size"] for layer in manifest["layers"])


def test_chi_app_from_git_pushed_with_auth_served_and_modules_reused_on_a_code_change(
        publish: Publish, registry: Registry, docker_config: Path, build_cache: Path, repo_name: str,
        docker_engine: object) -> None:
    _, url = publish("go-chi")
    goenv = {"GOPROXY": f"https://dockless:{TOKEN}@proxy.golang.org", "GOFLAGS": "-mod=readonly"}
    run = dockless("build", url, "--image", f"{registry.host}/{repo_name}:v1", *env_args(goenv),
                   docker_config=docker_config, cache_dir=build_cache)
    assert run.code == 0, run.stderr
    pinned = run.last_line
    assert re.fullmatch(rf"{re.escape(registry.host)}/{re.escape(repo_name)}@sha256:[0-9a-f]{{64}}", pinned)
    assert "Go '1.24.4' from go.mod toolchain" in run.stderr
    assert "Go 1.24.4 from golang.org/toolchain (Go module proxy, sum.golang.org)" in run.stderr
    assert "modules: downloaded into the module cache" in run.stderr

    body = run_container(pinned, docker_config=docker_config, extra_args=("--read-only",))
    assert body == "hello from chi on go1.24.4\n"
    assert run_container(pinned, docker_config=docker_config, path="/hello/knative") == "hello, knative\n"

    digest = pinned.split("@")[1]
    blobs = layers(registry, repo_name, digest)
    print(f"go-chi image: {compressed_size(registry, repo_name, digest) / 1e6:.1f} MB compressed layers")
    for layer_digest, data in blobs:  # the proxy token reached the build, never the image or the log
        assert TOKEN.encode() not in data, layer_digest
    assert TOKEN not in run.stderr + run.stdout
    every = [name for _, data in blobs[:-1] for name in names(data)]
    assert "layers/go/bin/go-chi" in every
    assert not [n for n in every if n.endswith(("/bin/go", "/bin/gofmt")) or "pkg/mod" in n or "toolchain" in n]
    purls = {c["purl"] for c in sbom(blobs)["components"]}
    assert {"pkg:golang/github.com/go-chi/chi/v5@v5.2.3", "pkg:golang/stdlib@go1.24.4"} <= purls
    config = json.loads(blobs[-1][1])["config"]
    assert re.fullmatch(r"[1-9]\d*(:\d+)?", config["User"]) and config["Entrypoint"] == ["/layers/go/bin/go-chi"]

    # a code-only change: the module cache is reused, and only the binary, app and SBOM layers are new
    _, changed = publish("go-chi", {"main.go": CHI_MAIN.replace("hello from chi", "changed code")})
    again = dockless("build", changed, "--image", f"{registry.host}/{repo_name}:v2", *env_args(goenv),
                     docker_config=docker_config, cache_dir=build_cache)
    assert again.code == 0, again.stderr
    assert "modules: reused the cached module cache" in again.stderr and "go mod download" not in again.stderr
    assert "(cached)" in again.stderr  # the toolchain too
    assert "build cache: reused the compiled standard library and modules" in again.stderr
    before = {d for d, _ in blobs[:-1]}
    new = [(d, data) for d, data in layers(registry, repo_name, again.last_line.split("@")[1])[:-1] if d not in before]
    for _, data in new:
        assert all(n.startswith(("layers/go/bin", "workspace", "layers/sbom")) or n in ("layers", "layers/go")
                   for n in names(data)), names(data)
    assert len(new) <= 3
    assert "changed code on go1.24.4" in run_container(again.last_line, docker_config=docker_config)


def test_same_source_gives_the_same_digest_with_a_fresh_cache_and_a_seeded_build_cache(
        publish: Publish, build_cache: Path, tmp_path: Path) -> None:
    _, url = publish("go-chi")
    digests = []
    for n, cache in ((1, build_cache), (2, tmp_path / "fresh-cache")):  # the binary is built again each time
        run = dockless("build", url, "--image", f"oci:{tmp_path / f'oci{n}'}", cache_dir=cache)
        assert run.code == 0, run.stderr
        assert "running go build" in run.stderr
        digests.append(run.last_line.split("@")[1])
    assert digests[0] == digests[1]
    # Another module set's first build in that cache starts from the standard library compiled for go-chi,
    # and gives the binary a build without that seed gives.
    _, cmd = publish("go-cmd")
    targets = ("--env", "BP_GO_TARGETS=./cmd/api:./cmd/worker")
    seeded = dockless("build", cmd, *targets, "--image", f"oci:{tmp_path / 'cmd1'}", cache_dir=tmp_path / "fresh-cache")
    assert seeded.code == 0, seeded.stderr
    assert "build cache: seeded with the standard library compiled by an earlier Go" in seeded.stderr
    alone = dockless("build", cmd, *targets, "--image", f"oci:{tmp_path / 'cmd2'}", cache_dir=tmp_path / "cmd-cache")
    assert alone.code == 0, alone.stderr
    assert "seeded" not in alone.stderr
    assert seeded.last_line.split("@")[1] == alone.last_line.split("@")[1]


def test_cmd_layout_with_two_targets_and_goflags(
        publish: Publish, registry: Registry, docker_config: Path, build_cache: Path, repo_name: str,
        docker_engine: object) -> None:
    tagged = ('//go:build shout\n\npackage main\n\nimport "fmt"\n\nfunc init() { fmt.Println("WORKER TAGGED") }\n')
    _, url = publish("go-cmd", {"cmd/worker/shout.go": tagged})
    run = dockless("build", url, "--image", f"{registry.host}/{repo_name}:v1",
                   *env_args({"BP_GO_TARGETS": "./cmd/api:./cmd/worker", "GOFLAGS": "-tags=shout"}),
                   docker_config=docker_config, cache_dir=build_cache)
    assert run.code == 0, run.stderr
    assert "Go '1.24.4' from go.mod go directive" in run.stderr
    assert "./cmd/api -> /layers/go/bin/api, ./cmd/worker -> /layers/go/bin/worker" in run.stderr
    assert run_container(run.last_line, docker_config=docker_config) == "hello from the api command\n"
    out = docker_run_output(run.last_line, extra_args=("--entrypoint", "/layers/go/bin/worker"),
                            docker_config=docker_config)
    assert out == "WORKER TAGGED\nworker ran\n"  # GOFLAGS reached go build
    blobs = layers(registry, repo_name, run.last_line.split("@")[1])
    config = json.loads(blobs[-1][1])["config"]
    assert config["Entrypoint"] == ["/layers/go/bin/api"]



def test_debian_go_when_asked_for_builds_and_ships_none_of_it(
        publish: Publish, registry: Registry, docker_config: Path, build_cache: Path, repo_name: str,
        docker_engine: object) -> None:
    _, url = publish("go-cmd")
    run = dockless("build", url, "--image", f"{registry.host}/{repo_name}:v1",
                   *env_args({"BP_GO_TOOLCHAIN": "debian", "BP_GO_TARGETS": "./cmd/api"}),
                   docker_config=docker_config, cache_dir=build_cache)
    assert run.code == 0, run.stderr
    assert re.search(r"Go 1\.24\.\d+ from Debian trixie \(golang-1\.24-go\) for '1\.24\.4'", run.stderr)
    assert "golang.org/toolchain" not in run.stderr
    assert run_container(run.last_line, docker_config=docker_config) == "hello from the api command\n"
    every = [n for _, data in layers(registry, repo_name, run.last_line.split("@")[1])[:-1] for n in names(data)]
    assert not [n for n in every if "usr/lib/go-" in n or n.endswith("/bin/go")]
    assert "layers/go/bin/api" in every and "layers/go/bin/worker" not in every


def vendored_chi() -> dict[str, str]:
    """vendor/ for the go-chi example, as `go mod vendor` writes it, from the recorded module zip."""
    prefix = "github.com/go-chi/chi/v5@v5.2.3/"
    files = {"vendor/modules.txt": "# github.com/go-chi/chi/v5 v5.2.3\n## explicit; go 1.20\ngithub.com/go-chi/chi/v5\n"}
    with zipfile.ZipFile(Path(__file__).parent / "fixtures" / "chi-v5.2.3.zip") as zf:
        for name in zf.namelist():
            rel = name[len(prefix):]
            if "/" not in rel and rel.endswith(".go") and not rel.endswith("_test.go"):
                files[f"vendor/github.com/go-chi/chi/v5/{rel}"] = zf.read(name).decode()
    return files


def test_vendored_modules_build_with_no_proxy_at_all(
        publish: Publish, build_cache: Path, tmp_path: Path, docker_engine: object) -> None:
    _, url = publish("go-chi", vendored_chi())
    run = dockless("build", url, "--image", f"oci:{tmp_path / 'oci'}", *env_args({"GOPROXY": "off"}),
                   cache_dir=build_cache)
    assert run.code == 0, run.stderr
    assert "modules: from vendor/ (vendor/modules.txt), nothing downloaded" in run.stderr
    assert "go mod download" not in run.stderr


def test_a_lone_main_go_without_go_mod_builds_in_gopath_mode(
        publish: Publish, registry: Registry, docker_config: Path, build_cache: Path, tmp_path: Path,
        repo_name: str, docker_engine: object) -> None:
    source = tmp_path / "lone"
    source.mkdir()
    api = (Path(__file__).resolve().parents[2] / "examples" / "go-cmd" / "cmd" / "api" / "main.go").read_text()
    _, url = publish(source, {"main.go": api})
    run = dockless("build", url, "--image", f"{registry.host}/{repo_name}:v1", *env_args({"BP_GO_VERSION": "1.24.4"}),
                   docker_config=docker_config, cache_dir=build_cache)
    assert run.code == 0, run.stderr
    assert "found package main with no go.mod" in run.stderr and "Go '1.24.4' from BP_GO_VERSION" in run.stderr
    assert run_container(run.last_line, docker_config=docker_config) == "hello from the api command\n"

CGO_APP = """package main

/*
static int answer(void) { return 42; }
*/
import "C"

import (
	"fmt"
	"net/http"
	"os"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintf(w, "cgo says %d\\n", int(C.answer())) })
	http.ListenAndServe(":"+os.Getenv("PORT"), nil)
}
"""


def test_a_cgo_app_builds_with_gcc_links_glibc_serves_and_is_reproducible(
        publish: Publish, registry: Registry, docker_config: Path, build_cache: Path, tmp_path: Path,
        repo_name: str, docker_engine: object) -> None:
    """`import "C"` turns cgo on (the go command's default with a C compiler): gcc in the build root only."""
    source = tmp_path / "cgo"
    source.mkdir()
    _, url = publish(source, {"go.mod": "module example.com/cgoapp/v2\n\ngo 1.24.4\n", "main.go": CGO_APP})
    run = dockless("build", url, "--image", f"{registry.host}/{repo_name}:v1", docker_config=docker_config,
                   cache_dir=build_cache)
    assert run.code == 0, run.stderr
    assert 'cgo on: main.go imports "C"' in run.stderr
    assert ". -> /layers/go/bin/cgoapp" in run.stderr  # the /v2 suffix is not the binary's name
    assert run_container(run.last_line, docker_config=docker_config) == "cgo says 42\n"
    every = [n for _, data in layers(registry, repo_name, run.last_line.split("@")[1])[:-1] for n in names(data)]
    assert "layers/go/bin/cgoapp" in every and not [n for n in every if n.endswith(("bin/gcc", "cc1"))]
    # -a compiles every package again, C included: the same bytes, the same digest
    again = dockless("build", url, "--image", f"oci:{tmp_path / 'again'}", "--env", "GOFLAGS=-a",
                     cache_dir=build_cache)
    assert again.code == 0, again.stderr
    assert again.last_line.split("@")[1] == run.last_line.split("@")[1]


BAD: dict[str, dict[str, str]] = {
    "malformed-go-mod": {"go.mod": "module example.com/bad\n\ngo 1.24\nrequire (\n\tgithub.com/x/y v1.0.0\n",
                         "main.go": "package main\n\nfunc main() {}\n"},
    "impossible-go": {"go.mod": "module example.com/bad\n\ngo 1.99\n", "main.go": "package main\n\nfunc main() {}\n"},
    "missing-module": {"go.mod": "module example.com/bad\n\ngo 1.24.4\n\nrequire github.com/dockless-nobody/nothing "
                                 "v1.0.0\n",
                       "main.go": "package main\n\nfunc main() {}\n"},
    "failing-compile": {"go.mod": "module example.com/bad\n\ngo 1.24.4\n",
                        "main.go": "package main\n\nfunc main() { undefinedThing() }\n"},
    "two-commands": {"go.mod": "module example.com/bad\n\ngo 1.24.4\n",
                     "cmd/a/main.go": "package main\n\nfunc main() {}\n",
                     "cmd/b/main.go": "package main\n\nfunc main() {}\n"},
    # gomono of the trial, as --subdir services/api sees it: the replacement is not in the source
    "replace-outside": {"go.mod": "module example.com/api\n\ngo 1.24.4\n\nrequire example.com/shared v0.0.0\n\n"
                                  "replace example.com/shared => ../../shared\n",
                        "main.go": "package main\n\nfunc main() {}\n"},
    # gowork of the trial, as --subdir api sees it: only the root go.work's `use ./shared` provides it
    "go-work-member": {"go.mod": "module example.com/api\n\ngo 1.24.4\n\nrequire example.com/shared v0.0.0\n",
                       "main.go": "package main\n\nfunc main() {}\n"},
    "cgo-turned-off": {"go.mod": "module example.com/bad\n\ngo 1.24.4\n", "main.go": CGO_APP},
}
BAD_ENV = {"cgo-turned-off": {"CGO_ENABLED": "0"}}


@pytest.mark.parametrize(("case", "code", "words"), [
    ("malformed-go-mod", 2, ("go.mod line 4: 'require (' block is never closed",)),
    ("impossible-go", 5, ("Go 1.99 (go.mod go directive) has no release on the Go module proxy",)),
    ("missing-module", 5, ("go mod download", "github.com/dockless-nobody/nothing")),
    ("failing-compile", 5, ("go build", "undefined: undefinedThing")),
    ("two-commands", 5, ("found 2 main packages (cmd/a, cmd/b)", "BP_GO_TARGETS=./cmd/a:./cmd/b")),
    ("replace-outside", 3, ("replaces example.com/shared with ../../shared, a directory outside",
                            "cannot build alone")),
    ("go-work-member", 3, ("requires example.com/shared v0.0.0, a placeholder version", "go.work")),
    ("cgo-turned-off", 5, ('main.go imports "C" (cgo), and CGO_ENABLED=0 leaves it out', "CGO_ENABLED=0")),
])
def test_bad_go_input_fails_in_one_line_and_pushes_nothing(
        case: str, code: int, words: tuple[str, ...], publish: Publish, registry: Registry,
        docker_config: Path, build_cache: Path, tmp_path: Path, repo_name: str) -> None:
    source = tmp_path / "empty"
    source.mkdir()
    _, url = publish(source, BAD[case])
    run = dockless("build", url, "--image", f"{registry.host}/{repo_name}:v1",
                   *env_args({"GOPROXY": "https://proxy.golang.org", **BAD_ENV.get(case, {})}),
                   docker_config=docker_config, cache_dir=build_cache)
    assert_clean_error(run, code, *words)
    if code == 3:  # refused at detect: nothing was downloaded, no proxy was asked
        assert "golang.org/toolchain" not in run.stderr and "go mod download" not in run.stderr
    assert registry.tags(repo_name) == []
