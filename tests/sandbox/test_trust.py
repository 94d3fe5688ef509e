"""A company CA given as SSL_CERT_FILE reaches every tool, in the sandbox and on the host, unasked.

The server's certificate comes from a CA made here, and the bundle holds only that CA,
so a fetch that works proves the tool used the bundle the executor chose; the same
fetch without SSL_CERT_FILE fails, so the test can fail. Buildpacks pass only their
own PATH: they never name the CA file.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import httpx
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import pkcs12

from builder.errors import BuildError, UsageError
from builder.lifecycle.contract import Executor, Mount
from builder.sandbox import PATH, BwrapExecutor, HostExecutor, select_executor
from builder.sandbox.select import private_dir
from builder.sandbox.trust import JAVA_TRUSTSTORE_PASSWORD
from builder.stack import open_archive
from builder.stack.extend import extend_build_root

from .tlsserver import BODY, Server, custom_ca_server

Where = Literal["host", "sandbox"]
FETCH_PY = "import urllib.request, sys; print(urllib.request.urlopen(sys.argv[1]).read().decode())"
FETCH_NODE = ("require('https').get(process.argv[1], r => r.on('data', d => process.stdout.write(d)))"
              ".on('error', e => { console.error(e.message); process.exit(1) })")  # fmt: skip
FETCH_JAVA = """public class Fetch { public static void main(String[] a) throws Exception {
    System.out.print(new String(new java.net.URL(a[0]).openStream().readAllBytes())); } }
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with custom_ca_server(tmp_path_factory.mktemp("tls")) as running:
        yield running


@pytest.fixture(scope="module")
def curl_root(build_root: Path, stack_cache: Path) -> Path:
    """The build root extended with curl (the base has none), to check CURL_CA_BUNDLE in the sandbox too."""
    with httpx.Client(timeout=120) as client:
        return extend_build_root(stack_cache, open_archive(stack_cache, client), build_root, ["curl"],
                                 log=lambda line: None)  # fmt: skip


def executor(where: Where, root: Path, tmp_path: Path, env: dict[str, str]) -> Executor:
    """The executor `select_executor` gives for `where`, as the build's services ask for it."""
    workspace = tmp_path / "workspace"
    workspace.mkdir(exist_ok=True)
    try:
        return select_executor(root, workspace, env=env, mode=where, state_dir=tmp_path / "state")
    except UsageError as exc:
        pytest.skip(str(exc))


def host_env(server: Server | None) -> dict[str, str]:
    return {"PATH": os.environ["PATH"], **({"SSL_CERT_FILE": str(server.bundle)} if server else {})}


@pytest.mark.parametrize("where", ["host", "sandbox"])
def test_python_curl_and_node_trust_the_company_ca(where: Where, server: Server, curl_root: Path, node_dist: Path,
                                                   tmp_path: Path) -> None:  # fmt: skip
    run = executor(where, curl_root, tmp_path, host_env(server))
    assert isinstance(run, BwrapExecutor if where == "sandbox" else HostExecutor)
    assert run.run(["python3", "-c", FETCH_PY, server.url], what="python").stdout == BODY.decode() + "\n"
    assert run.run(["curl", "-sS", server.url], what="curl").stdout == BODY.decode()
    node = [Mount(node_dist, "/layers/node", writable=False)]
    fetched = run.run(["node", "-e", FETCH_NODE, server.url], what="node", env={"PATH": "/layers/node/bin"},
                      mounts=node)  # fmt: skip
    assert fetched.stdout == BODY.decode()


@pytest.mark.parametrize("where", ["host", "sandbox"])
def test_without_the_company_ca_the_same_fetch_fails(where: Where, server: Server, build_root: Path,
                                                     tmp_path: Path) -> None:  # fmt: skip
    run = executor(where, build_root, tmp_path, host_env(None))
    with pytest.raises(BuildError) as caught:
        run.run(["python3", "-c", FETCH_PY, server.url], what="python")
    assert "CERTIFICATE_VERIFY_FAILED" in caught.value.hint


@pytest.mark.parametrize("where", ["host", "sandbox"])
def test_jvms_get_a_truststore_holding_the_company_ca(where: Where, server: Server, build_root: Path,
                                                      tmp_path: Path) -> None:  # fmt: skip
    run = executor(where, build_root, tmp_path, host_env(server))
    options = run.run(["sh", "-c", 'echo "$JAVA_TOOL_OPTIONS"'], what="env").stdout
    found = re.search(r"-Djavax\.net\.ssl\.trustStore=(\S+)", options)
    assert found and f"-Djavax.net.ssl.trustStorePassword={JAVA_TRUSTSTORE_PASSWORD}" in options
    [made] = (tmp_path / "state").glob("java-truststore-*.p12")  # the host file, made once from the bundle
    store = pkcs12.load_pkcs12(made.read_bytes(), JAVA_TRUSTSTORE_PASSWORD.encode())
    assert [c.certificate for c in store.additional_certs] == [server.ca]
    seen = run.run(["sha256sum", found.group(1)], what="sha256sum").stdout.split()[0]
    assert seen == hashlib.sha256(made.read_bytes()).hexdigest()  # the same store, where the command looks
    if where == "host" and shutil.which("keytool") and shutil.which("java"):
        listing = run.run(["keytool", "-list", "-keystore", found.group(1), "-storepass", JAVA_TRUSTSTORE_PASSWORD],
                          what="keytool").stdout  # fmt: skip
        assert server.ca.fingerprint(hashes.SHA256()).hex(":").upper() in listing
        (tmp_path / "workspace" / "Fetch.java").write_text(FETCH_JAVA)
        assert run.run(["java", "Fetch.java", server.url], what="java").stdout == BODY.decode()


@pytest.mark.parametrize("where", ["host", "sandbox"])
def test_a_buildpacks_path_goes_in_front_and_the_base_env_stays(where: Where, server: Server, build_root: Path,
                                                               tmp_path: Path) -> None:  # fmt: skip
    tools = tmp_path / "tools"
    (tools / "bin").mkdir(parents=True)
    (tools / "bin" / "python3").write_text("#!/bin/sh\necho shadowed\n")
    (tools / "bin" / "python3").chmod(0o755)
    run = executor(where, build_root, tmp_path, host_env(server))
    lines = run.run(["sh", "-c", 'python3; echo "$PATH"; echo "$SSL_CERT_FILE"; echo "$OWN"'], what="env",
                    env={"PATH": "/layers/tool/bin", "OWN": "/layers/tool/x"},
                    mounts=[Mount(tools, "/layers/tool", writable=False)]).stdout.splitlines()  # fmt: skip
    assert lines[0] == "shadowed"  # the buildpack's bin wins over the base's python3
    if where == "sandbox":
        assert lines[1:] == [f"/layers/tool/bin:{PATH}", "/etc/ssl/certs/ca-certificates.crt", "/layers/tool/x"]
    else:
        assert lines[1:] == [f"{tools}/bin:{os.environ['PATH']}", str(server.bundle), f"{tools}/x"]


def test_a_bundle_that_is_no_pem_list_costs_jvms_their_trust_not_the_build(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n")
    notices: list[str] = []
    run = select_executor(None, tmp_path, env={"PATH": os.environ["PATH"], "SSL_CERT_FILE": str(bundle)}, mode="host",
                          notice=notices.append, state_dir=tmp_path / "state")  # fmt: skip
    env = run.run(["env"], what="env").stdout.splitlines()
    assert f"SSL_CERT_FILE={bundle}" in env and not any(line.startswith("JAVA_TOOL_OPTIONS=") for line in env)
    assert len(notices) == 1 and str(bundle) in notices[0] and notices[0].endswith("JVMs use their own trust")


def test_a_relative_ssl_cert_file_still_names_the_bundle_from_the_workspace(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(server.bundle.parent)
    run = executor("host", tmp_path, tmp_path, {"PATH": os.environ["PATH"], "SSL_CERT_FILE": server.bundle.name})
    assert run.run(["python3", "-c", FETCH_PY, server.url], what="python").stdout == BODY.decode() + "\n"


def test_the_default_state_dir_is_never_one_another_user_could_write(tmp_path: Path) -> None:
    shared = tmp_path / "dockless-shared"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)  # as if another user had made it first
    chosen = private_dir(shared)
    assert chosen != shared and chosen.stat().st_mode & 0o077 == 0
    chosen.rmdir()
    mine = tmp_path / "dockless-mine"
    assert private_dir(mine) == mine and mine.stat().st_mode & 0o777 == 0o700
