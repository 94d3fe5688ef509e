"""A deterministic fault-injecting reverse proxy for registry (or any HTTP/1.1) traffic.

Real registries and networks fail: 500s, 429 rate limits, dropped connections,
and responses lost after the server already acted. The proxy sits between
dockless and the test registry and injects exactly those faults at a configured
rate, from a seeded RNG, so retry and resume logic is exercised against the real
registry. Everything else is forwarded transparently and streamed both ways
(Content-Length and chunked bodies), with `Location` and `WWW-Authenticate`
rewritten so clients keep talking to the proxy.

Fault kinds:
  "500"   answer 500 without forwarding (request body drained first)
  "429"   answer 429 with `Retry-After` without forwarding
  "reset" close the client connection with a TCP RST before forwarding
  "drop"  forward to the registry (it acts), then RST instead of the response

Decisions are drawn in arrival order, so a single-threaded client sees the same
sequence of faults on every run with the same seed.
"""

from __future__ import annotations

import dataclasses
import http.client
import json
import random
import socket
import struct
import threading
from collections import Counter
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Literal

from .registry import Registry

FaultKind = Literal["500", "429", "reset", "drop"]
DEFAULT_KINDS: tuple[FaultKind, ...] = ("500", "429", "reset")
FORWARDED = "forwarded"
UPSTREAM_ERROR = "upstream_error"

_HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization",
    "te", "trailer", "trailers", "transfer-encoding", "upgrade", "expect", "host",
})
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class RequestRecord:
    """What happened to one request: its method, path and outcome (a fault kind or forwarded)."""

    method: str
    path: str
    outcome: str
    status: int | None


class FaultStats:
    """Thread-safe record of every request the proxy saw."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []

    def record(self, rec: RequestRecord) -> None:
        with self._lock:
            self._records.append(rec)

    @property
    def records(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    @property
    def counts(self) -> Counter[str]:
        """Requests per outcome: "forwarded", "500", "429", "reset", "drop", "upstream_error"."""
        return Counter(r.outcome for r in self.records)

    @property
    def total(self) -> int:
        return len(self.records)

    @property
    def faults(self) -> int:
        return sum(1 for r in self.records if r.outcome not in (FORWARDED, UPSTREAM_ERROR))

    def reset(self) -> None:
        with self._lock:
            self._records.clear()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    proxy: FaultProxy


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    timeout = 120  # idle keep-alive connections end eventually

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        """Silent: the proxy's record is `stats`, not stderr noise."""

    def _handle(self) -> None:
        proxy = self.server.proxy
        fault = proxy.decide(self.command)
        try:
            if fault == "reset":
                proxy.stats.record(RequestRecord(self.command, self.path, "reset", None))
                self._reset()
            elif fault in ("500", "429"):
                for _ in self._body():
                    pass
                proxy.stats.record(RequestRecord(self.command, self.path, fault, int(fault)))
                self._send_fault(int(fault), proxy.retry_after)
            else:
                self._forward(drop=fault == "drop")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _handle

    def _body(self) -> Iterator[bytes]:
        """The request body as it arrives, de-chunked when chunked."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            while True:
                size = int(self.rfile.readline(65537).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    return
                yield from self._read_exact(size)
                self.rfile.readline(65537)
        else:
            yield from self._read_exact(int(self.headers.get("Content-Length") or 0))

    def _read_exact(self, n: int) -> Iterator[bytes]:
        while n > 0:
            data = self.rfile.read(min(n, _CHUNK))
            if not data:
                raise ConnectionResetError("client went away mid-body")
            n -= len(data)
            yield data

    def _reset(self) -> None:
        """Abort with RST (SO_LINGER 0), the way a crashed server or middlebox looks."""
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()

    def _send_fault(self, status: int, retry_after: int) -> None:
        code = "TOOMANYREQUESTS" if status == 429 else "UNAVAILABLE"
        body = json.dumps({"errors": [{"code": code, "message": "injected fault",
                                       "detail": None}]}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        if status == 429:
            self.send_header("Retry-After", str(retry_after))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _forward(self, *, drop: bool) -> None:
        proxy = self.server.proxy
        chunked_in = "chunked" in self.headers.get("Transfer-Encoding", "").lower()
        conn = http.client.HTTPConnection(proxy.upstream, timeout=300)
        try:
            try:
                conn.putrequest(self.command, self.path, skip_host=True,
                                skip_accept_encoding=True)
                conn.putheader("Host", proxy.upstream)
                for key, value in self.headers.items():
                    if key.lower() not in _HOP_BY_HOP and key.lower() != "content-length":
                        conn.putheader(key, value)
                if chunked_in:
                    conn.putheader("Transfer-Encoding", "chunked")
                elif self.headers.get("Content-Length") is not None:
                    conn.putheader("Content-Length", self.headers["Content-Length"])
                conn.endheaders()
                for data in self._body():
                    conn.send(b"%x\r\n%b\r\n" % (len(data), data) if chunked_in else data)
                if chunked_in:
                    conn.send(b"0\r\n\r\n")
                resp = conn.getresponse()
            except (OSError, http.client.HTTPException):
                proxy.stats.record(RequestRecord(self.command, self.path, UPSTREAM_ERROR, 502))
                self.close_connection = True
                self._send_fault(502, 0)
                return
            if drop:
                resp.read()
                proxy.stats.record(RequestRecord(self.command, self.path, "drop", resp.status))
                self._reset()
                return
            proxy.stats.record(RequestRecord(self.command, self.path, FORWARDED, resp.status))
            self._relay(resp)
        finally:
            conn.close()

    def _relay(self, resp: http.client.HTTPResponse) -> None:
        """Send the upstream response on, streaming; re-chunk bodies of unknown length."""
        proxy = self.server.proxy
        self.send_response_only(resp.status, resp.reason)
        for key, value in resp.getheaders():
            if key.lower() in _HOP_BY_HOP:
                continue
            if key.lower() in ("location", "www-authenticate", "content-location"):
                value = value.replace(f"//{proxy.upstream}", f"//{proxy.host}")
            self.send_header(key, value)
        has_body = self.command != "HEAD" and resp.status not in (204, 304) \
            and resp.status >= 200
        chunked_out = has_body and resp.getheader("Content-Length") is None
        if chunked_out:
            self.send_header("Transfer-Encoding", "chunked")
        if resp.getheader("Connection", "").lower() == "close":
            self.close_connection = True
        self.end_headers()
        if not has_body:
            return
        while data := resp.read(_CHUNK):
            self.wfile.write(b"%x\r\n%b\r\n" % (len(data), data) if chunked_out else data)
        if chunked_out:
            self.wfile.write(b"0\r\n\r\n")


class FaultProxy:
    """Reverse proxy on 127.0.0.1:<free port> to `upstream`, injecting faults at `rate`.

    `methods` limits faults to those HTTP methods (e.g. {"PATCH", "PUT"}; empty =
    all); other requests always pass and do not consume the RNG. `fail_next(...)` queues faults for the next matching requests,
    ahead of the RNG, for precise scenarios.
    """

    def __init__(self, upstream: Registry | str, *, rate: float = 0.0,
                 kinds: Sequence[FaultKind] = DEFAULT_KINDS, seed: int = 0,
                 methods: Collection[str] | None = None, retry_after: int = 0) -> None:
        self._registry = upstream if isinstance(upstream, Registry) else None
        self.upstream = upstream.host if isinstance(upstream, Registry) else upstream
        self.retry_after = retry_after
        self.stats = FaultStats()
        self._lock = threading.Lock()
        self._queue: list[FaultKind] = []
        self.rate = 0.0
        self.kinds: tuple[FaultKind, ...] = DEFAULT_KINDS
        self.methods: frozenset[str] = frozenset()
        self._rng = random.Random(seed)
        self.configure(rate=rate, kinds=kinds, methods=methods)
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.proxy = self
        self.host = f"127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name=f"faultproxy-{self.host}", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    @property
    def registry(self) -> Registry:
        """The upstream Registry as seen through the proxy (same credentials, proxy host)."""
        if self._registry is None:
            raise ValueError("proxy was created with a plain upstream address")
        return dataclasses.replace(self._registry, host=self.host)

    def docker_config_dir(self, dest: Path) -> Path:
        """A docker config dir with the upstream's credentials for the proxy host."""
        return self.registry.docker_config_dir(dest)

    def configure(self, *, rate: float | None = None, kinds: Sequence[FaultKind] | None = None,
                  seed: int | None = None, methods: Collection[str] | None = None) -> None:
        """Change the fault policy; a new `seed` restarts the deterministic sequence."""
        with self._lock:
            if rate is not None:
                if not 0.0 <= rate <= 1.0:
                    raise ValueError(f"rate must be within [0, 1], got {rate}")
                self.rate = rate
            if kinds is not None:
                if not kinds:
                    raise ValueError("kinds must not be empty")
                self.kinds = tuple(kinds)
            if seed is not None:
                self._rng = random.Random(seed)
            if methods is not None:
                self.methods = frozenset(m.upper() for m in methods)

    def fail_next(self, *kinds: FaultKind) -> None:
        """Inject exactly these faults, in order, into the next matching requests."""
        with self._lock:
            self._queue.extend(kinds)

    def decide(self, method: str) -> FaultKind | None:
        """The fault for the next request (None = forward); called once per request."""
        with self._lock:
            if self.methods and method.upper() not in self.methods:
                return None
            if self._queue:
                return self._queue.pop(0)
            if self._rng.random() < self.rate:
                return self._rng.choice(self.kinds)
            return None

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
