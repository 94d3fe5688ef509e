"""The workspace member's app: answers with the workspace library's NAME on $PORT."""
import os
from http.server import BaseHTTPRequestHandler, HTTPServer

import utils


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = f"api {utils.NAME}\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def serve() -> None:
    HTTPServer(("0.0.0.0", int(os.environ.get("PORT", "8080"))), Handler).serve_forever()


if __name__ == "__main__":
    serve()
