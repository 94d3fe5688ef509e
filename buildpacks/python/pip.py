"""pip itself, as a wheel from PyPI, verified against the sha256 PyPI publishes for it.

Debian's CPython has no pip (that is python3-pip, tied to Debian's own
release), so the buildpack fetches one pinned pip wheel and runs it straight
from the wheel (`python pip.whl/pip install …`, which pip supports for
bootstrapping): nothing of pip lands in the image. PyPI's JSON API
(`https://pypi.org/pypi/pip/json`, `releases[<version>]`; the per-version
URL is not served through every mirror) lists the release's files with
`digests.sha256`; `builder.buildpack.download.Downloader` keeps the wheel only
when it matches (IntegrityError, exit 7, otherwise) and serves it from the
blob store on later builds without the network.
"""

from __future__ import annotations

import shutil
import ssl
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx

from builder.buildpack.download import Downloader, Expected, LazyClient
from builder.errors import BuildError
from builder.lifecycle.contract import LogFn

PIP_VERSION = "26.3"  # pinned: the same source builds with the same installer
PYPI = "https://pypi.org/pypi"


def make_client(ca_file: Path | None) -> Callable[[], httpx.Client]:
    def factory() -> httpx.Client:
        verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=str(ca_file)) if ca_file else True
        return httpx.Client(verify=verify, timeout=httpx.Timeout(60.0, connect=20.0),
                            headers={"User-Agent": "dockless (+python buildpack)"})
    return factory


def _valid(document: Any) -> bool:
    return isinstance(document, dict) and isinstance(document.get("releases"), dict)


def fetch_wheel(name: str, version: str, cache_dir: Path, into: Path, ca_file: Path | None, log: LogFn) -> Path:
    """The verified wheel of `name` `version` from PyPI, copied to `into/<filename>`; its path.

    Raises BuildError when PyPI has no such release or no wheel for it, IntegrityError on a digest mismatch.
    """
    with LazyClient(make_client(ca_file)) as client:
        downloads = Downloader(client, cache_dir, log)
        document = downloads.fetch_json(f"{PYPI}/{name}/json", f"PyPI project {name}", ttl=86400, valid=_valid)
        files = (document or {}).get("releases", {}).get(version)
        if not isinstance(files, list) or not files:
            raise BuildError(f"PyPI has no release {name} {version}", "check the name and version")
        wheels = [u for u in files if isinstance(u, dict) and u.get("packagetype") == "bdist_wheel"
                  and str(u.get("filename", "")).endswith("-none-any.whl")]
        if not wheels:
            raise BuildError(f"PyPI has no pure-Python wheel of {name} {version}", "pick another version")
        wheel = wheels[0]
        expected = Expected.hexdigests(sha256=str(wheel.get("digests", {}).get("sha256", "")) or ())
        blob = downloads.fetch(urljoin(f"{PYPI}/{name}/json", str(wheel["url"])), expected, f"{name} {version} ({wheel['filename']})")
    into.mkdir(parents=True, exist_ok=True)
    target = into / str(wheel["filename"])
    shutil.copyfile(blob, target)
    return target
