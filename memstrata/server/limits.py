"""Per-key rate limits, a request-size limit, request ids and structured logs."""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

log = logging.getLogger("memstrata.server")
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


class RateLimiter:
    """A token bucket per key: ``per_minute`` requests a minute, bursts up to that.

    Limits are per server process: N workers allow up to N times the rate."""

    def __init__(self) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str, per_minute: int) -> float:
        """0 when the request may go, else the seconds to wait."""
        moment = time.monotonic()
        rate = per_minute / 60.0
        with self._lock:
            tokens, last = self._buckets.get(key, (float(per_minute), moment))
            tokens = min(float(per_minute), tokens + (moment - last) * rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, moment)
                return 0.0
            self._buckets[key] = (tokens, moment)
            return (1 - tokens) / rate


def _error(status: int, code: str, message: str, request_id: str) -> tuple[int, bytes]:
    body = {"error": {"code": code, "message": message, "field": None, "request_id": request_id}}
    return status, json.dumps(body).encode()


class Guard:
    """ASGI middleware: a request id for every request (``X-Request-ID``, taken from
    the caller when it sends a sane one), a 413 for bodies over ``max_bytes``
    (declared or streamed), and one JSON log line per request."""

    def __init__(self, app: App, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        given = headers.get("x-request-id", "")
        request_id = given if 8 <= len(given) <= 64 and given.isprintable() else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status_seen = [500]

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_seen[0] = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(send_with_id, request_id)
        else:
            received = [0]

            async def counted() -> Message:
                message = await receive()
                if message["type"] == "http.request":
                    received[0] += len(message.get("body", b""))
                    if received[0] > self.max_bytes:
                        raise _TooLarge
                return message

            try:
                await self.app(scope, counted, send_with_id)
            except _TooLarge:
                await self._reject(send_with_id, request_id)
        log.info(
            json.dumps(
                {
                    "request_id": request_id,
                    "method": scope.get("method"),
                    "path": scope.get("path"),
                    "status": status_seen[0],
                    "ms": round(1000 * (time.perf_counter() - started), 2),
                    "key_id": scope["state"].get("key_id"),
                }
            )
        )

    async def _reject(self, send: Send, request_id: str) -> None:
        status, body = _error(
            413, "too_large", f"the request body is over {self.max_bytes} bytes", request_id
        )
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass
