"""A local HTTP server for tests that speak the OpenAI API to synthaudit's LLM client over a real socket.

Subclass :class:`JSONHandler`, write ``do_POST`` with :meth:`JSONHandler.read_json` and
:meth:`JSONHandler.send_json`, and run it with ``with serve(Handler) as url: ...`` (``url`` ends in ``/v1``).
"""
from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator


class JSONHandler(BaseHTTPRequestHandler):
    def read_json(self) -> Any:
        return json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))

    def send_json(self, payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> None:
        """``payload`` as JSON (a str is sent as it is, e.g. malformed JSON on purpose)."""
        data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def serve(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve ``handler`` on a free loopback port; yields the base URL of the OpenAI-compatible API."""
    srv = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}/v1"
    finally:
        srv.shutdown()
        srv.server_close()
