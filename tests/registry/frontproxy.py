"""A registry front like nginx or an ingress: a request-body size limit, in front of the real registry.

`BodyLimitProxy(registry, limit=1 << 20)` forwards everything to the registry
(through the fault proxy's streaming forwarder) except requests whose body is
larger than `limit` bytes: those are drained, as nginx's lingering close does,
and answered `413 Request Entity Too Large` with nginx's HTML page. With
`min_chunk`, upload-session answers (202 to a POST) carry
`OCI-Chunk-Min-Length`, as a distribution-spec v1.1 registry may send.
"""

from __future__ import annotations

from tests.infra.faultproxy import FaultProxy, RequestRecord, _Handler, _Server
from tests.infra.registry import Registry

NGINX_413 = (b"<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\r\n"
             b"<center><h1>413 Request Entity Too Large</h1></center>\r\n<hr><center>nginx</center>\r\n"
             b"</body>\r\n</html>\r\n")


class _LimitHandler(_Handler):
    server: _LimitServer

    def _handle(self) -> None:
        proxy = self.server.proxy
        length = int(self.headers.get("Content-Length") or 0)
        if length <= proxy.limit:
            self._min_chunk = proxy.min_chunk if self.command == "POST" else 0
            super()._handle()
            return
        for _ in self._body():
            pass
        proxy.stats.record(RequestRecord(self.command, self.path, "413", 413))
        self.send_response(413)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(NGINX_413)))
        self.end_headers()
        self.wfile.write(NGINX_413)

    def end_headers(self) -> None:
        if getattr(self, "_min_chunk", 0):
            self.send_header("OCI-Chunk-Min-Length", str(self._min_chunk))
            self._min_chunk = 0
        super().end_headers()

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _handle


class _LimitServer(_Server):
    proxy: BodyLimitProxy


class BodyLimitProxy(FaultProxy):
    """A FaultProxy (no random faults) that answers 413 above `limit` body bytes."""

    def __init__(self, upstream: Registry, *, limit: int, min_chunk: int = 0) -> None:
        super().__init__(upstream)
        self.limit = limit
        self.min_chunk = min_chunk
        self._server.server_close()
        self._server = _LimitServer(("127.0.0.1", 0), _LimitHandler)
        self._server.proxy = self
        import threading

        self.host = f"127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name=f"limitproxy-{self.host}",
                                        daemon=True)
