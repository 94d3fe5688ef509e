"""The distribution-spec calls on one repository: manifests, blobs, uploads.

Each method is one endpoint with its expected statuses; everything else
becomes a typed error through the client. Upload `Location`s are resolved
against the URL that returned them (they may be relative or absolute, on
another host, and carry state in their query) and never rebuilt.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO, cast

import httpx

from builder.errors import DocklessError, RegistryError
from builder.image.digest import Digest
from builder.image.media import DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_INDEX, OCI_MANIFEST, Descriptor
from builder.registry.blobreader import BlobReader
from builder.registry.client import RegistryClient
from builder.registry.retry import TryAgain

MANIFEST_ACCEPT = ", ".join((OCI_INDEX, DOCKER_MANIFEST_LIST, OCI_MANIFEST, DOCKER_MANIFEST))
MAX_SMALL_BLOB = 64 << 20  # configs and manifests are read into memory; layers never are


def resolve_location(request_url: httpx.URL | str, location: str) -> httpx.URL:
    """An upload Location resolved against the URL that answered with it (RFC 3986)."""
    try:
        resolved = httpx.URL(request_url).join(location)
    except httpx.InvalidURL:
        resolved = None
    if resolved is None or resolved.scheme not in ("http", "https") or not resolved.host:
        raise RegistryError(f"{httpx.URL(request_url).host} sent an unusable upload location",
                            "the registry or a proxy in front of it is misbehaving")
    return resolved


@dataclass(frozen=True)
class UploadSession:
    """An open blob upload: where to send bytes, and the smallest chunk the registry takes
    (`OCI-Chunk-Min-Length`, distribution-spec v1.1; 0 when it did not say)."""

    location: httpx.URL
    min_chunk: int = 0


def _session(response: httpx.Response) -> UploadSession:
    try:
        min_chunk = max(0, int(response.headers.get("oci-chunk-min-length") or 0))
    except ValueError:
        min_chunk = 0
    return UploadSession(resolve_location(response.request.url, response.headers["location"]), min_chunk)


class Repository:
    """`name` on the registry behind `client`."""

    def __init__(self, client: RegistryClient, name: str) -> None:
        self.client = client
        self.name = name

    @property
    def host(self) -> str:
        return self.client.host

    def _url(self, kind: str, reference: str) -> str:
        return self.client.url(f"/v2/{self.name}/{kind}/{reference}")

    def ping(self) -> None:
        self.client.ping(self.name)

    def manifest(self, identifier: str) -> tuple[bytes, str]:
        """Raw manifest bytes and the Content-Type the registry sent."""
        what = f"manifest {self.name}{'@' if ':' in identifier else ':'}{identifier}"
        response = self.client.request("GET", self._url("manifests", identifier), what=what,
                                       headers={"Accept": MANIFEST_ACCEPT})
        if response.status_code != 200:
            raise self.client.fail(response, what, repository=self.name, reading=True)
        if len(response.content) > MAX_SMALL_BLOB:
            raise RegistryError(f"{what} on {self.host} is implausibly large ({len(response.content)} bytes)")
        content_type = response.headers.get("content-type", "").split(";", 1)[0].strip()
        return response.content, content_type

    def has_blob(self, digest: Digest) -> bool:
        what = f"blob {digest.short} in {self.name}"
        response = self.client.request("HEAD", self._url("blobs", str(digest)), what=what, follow_redirects=True)
        if response.status_code == 200:
            return True
        if response.status_code == 404:
            return False
        raise self.client.fail(response, what, repository=self.name)

    def blob_bytes(self, descriptor: Descriptor) -> bytes:
        """A small blob (the config) read whole; verified by the reader at EOF."""
        if descriptor.size > MAX_SMALL_BLOB:
            raise RegistryError(f"blob {descriptor.digest.short} is too large to read into memory")
        with self.open_blob(descriptor) as stream:
            return stream.read()

    def open_blob(self, descriptor: Descriptor, chunk_size: int = 1 << 16) -> BinaryIO:
        """A lazy, streaming, verifying reader: bytes flow only as the caller reads."""
        reader = BlobReader(lambda offset: self._blob_at(descriptor.digest, offset), descriptor,
                            host=self.host, policy=self.client.policy)
        return cast(BinaryIO, io.BufferedReader(reader, buffer_size=max(chunk_size, io.DEFAULT_BUFFER_SIZE)))

    def _blob_at(self, digest: Digest, offset: int) -> httpx.Response:
        """GET the blob as a stream (following storage redirects), from `offset` on."""
        what = f"blob {digest.short} in {self.name}"
        headers = {"Accept-Encoding": "identity"}
        if offset:
            headers["Range"] = f"bytes={offset}-"
        response = self.client.request("GET", self._url("blobs", str(digest)), what=what, headers=headers,
                                       stream=True, follow_redirects=True)
        if response.status_code not in (200, 206):
            response.read()
            response.close()
            raise self.client.fail(response, what, repository=self.name, reading=True)
        return response

    def mount(self, digest: Digest, source: str) -> UploadSession | None:
        """Cross-repository mount: None when mounted (201), else the upload session it opened (202)."""
        url = httpx.URL(self.client.url(f"/v2/{self.name}/blobs/uploads/"),
                        params={"mount": str(digest), "from": source})
        what = f"the mount of blob {digest.short} from {source} into {self.name}"
        response = self.client.request("POST", url, what=what)
        if response.status_code == 201:
            return None
        if response.status_code == 202 and response.headers.get("location"):
            return _session(response)
        raise self.client.fail(response, what, repository=self.name)

    def start_upload(self) -> UploadSession:
        """POST → 202 with the upload session's Location."""
        what = f"the start of an upload to {self.name}"
        response = self.client.request("POST", self.client.url(f"/v2/{self.name}/blobs/uploads/"), what=what)
        if response.status_code == 202 and response.headers.get("location"):
            return _session(response)
        raise self.client.fail(response, what, repository=self.name)

    def check_push(self) -> None:
        """Prove, before any work, that we may push here: open an upload session and cancel it.

        What go-containerregistry's CheckPushPermission (used by kaniko before a
        build) does: /v2/ alone passes with a pull-only token, a POST does not.
        The cancel (DELETE, distribution-spec "Cancelling an upload") is best
        effort: a registry that keeps the empty session expires it.
        """
        self.ping()
        session = self.start_upload()
        try:
            self.client.http.request("DELETE", session.location, timeout=10)
        except (httpx.HTTPError, DocklessError):
            pass

    def finish_upload(self, location: httpx.URL, digest: Digest, size: int, body: Iterable[bytes]) -> None:
        """One streamed PATCH with the bytes, then PUT `?digest=` to commit; a lost session raises TryAgain.

        PATCH-then-PUT is what docker, podman and go-containerregistry send, so
        every registry accepts it (not all take a body on the closing PUT).
        """
        what = f"the upload of blob {digest.short} to {self.name}"
        patch = self.client.http.build_request(
            "PATCH", location, content=body,
            headers={"Content-Type": "application/octet-stream", "Content-Length": str(size)})
        response = self.client.send_once(patch, what=what)
        self._expect_upload(response, (202, 204), what)
        if response.headers.get("location"):
            location = resolve_location(response.request.url, response.headers["location"])
        self.commit_upload(location, digest)

    def upload_chunk(self, location: httpx.URL, digest: Digest, offset: int, data: bytes) -> httpx.URL:
        """One PATCH of a chunked upload, `Content-Range: offset-last` (inclusive, as the distribution
        spec has it); returns the Location for the next chunk. A 413 raises RegistryError(status=413)
        for the caller to try smaller chunks; a lost session raises TryAgain."""
        what = f"the upload of blob {digest.short} to {self.name} (bytes {offset}-{offset + len(data) - 1})"
        patch = self.client.http.build_request(
            "PATCH", location, content=data,
            headers={"Content-Type": "application/octet-stream", "Content-Length": str(len(data)),
                     "Content-Range": f"{offset}-{offset + len(data) - 1}"})
        response = self.client.send_once(patch, what=what)
        self._expect_upload(response, (202, 204), what)
        if response.headers.get("location"):
            return resolve_location(response.request.url, response.headers["location"])
        return location

    def commit_upload(self, location: httpx.URL, digest: Digest) -> None:
        """The closing PUT `?digest=` of an upload session (no body)."""
        what = f"the upload of blob {digest.short} to {self.name}"
        commit = self.client.http.build_request("PUT", location.copy_merge_params({"digest": str(digest)}),
                                                headers={"Content-Length": "0"})
        self._expect_upload(self.client.send_once(commit, what=what), (201, 204), what)

    def _expect_upload(self, response: httpx.Response, ok: tuple[int, ...], what: str) -> None:
        if response.status_code in ok:
            return
        error = self.client.fail(response, what, repository=self.name)
        if response.status_code == 404:  # BLOB_UPLOAD_UNKNOWN: the session expired or was lost
            raise TryAgain(error, what=what)
        raise error

    def put_manifest(self, identifier: str, data: bytes, media_type: str) -> str | None:
        """PUT the manifest under a tag or digest; returns the Docker-Content-Digest it reports."""
        what = f"manifest {self.name}{'@' if ':' in identifier else ':'}{identifier}"
        response = self.client.request("PUT", self._url("manifests", identifier), what=what, content=data,
                                       headers={"Content-Type": media_type})
        if response.status_code not in (200, 201, 202):
            raise self.client.fail(response, what, repository=self.name)
        digest: str | None = response.headers.get("docker-content-digest")
        return digest
