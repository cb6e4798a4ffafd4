"""A real HTTP server on loopback that replays scripted answers, for provider tests."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Answer = tuple[int, str]
# An answer may be held back for a while first, to provoke client timeouts.
Delayed = tuple[int, str, float]
Responder = Callable[[dict[str, Any]], Answer]


class ReplayServer:
    """Answers POSTs from a queue of scripted answers, then from ``fallback``."""

    def __init__(self, fallback: Responder | None = None) -> None:
        self.script: deque[Answer | Delayed] = deque()
        self.requests: list[dict[str, Any]] = []
        self.fallback = fallback
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                server.requests.append(
                    {"path": self.path, "body": body, "auth": self.headers.get("Authorization")}
                )
                if server.script:
                    entry = server.script.popleft()
                    status, text = entry[0], entry[1]
                    if len(entry) == 3:
                        time.sleep(entry[2])
                elif server.fallback is not None:
                    status, text = server.fallback(body)
                else:
                    status, text = 500, "no scripted answer"
                payload = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: object, client_address: object) -> None:
                pass  # a client that gave up (timeout) closed the socket: expected

        self._httpd = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    @contextmanager
    def running(self) -> Iterator[ReplayServer]:
        thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._httpd.shutdown()
            self._httpd.server_close()
