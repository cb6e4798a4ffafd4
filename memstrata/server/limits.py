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
    (declared or streamed), a JSON 500 for an unexpected error (logged with its
    traceback and request id), and one JSON log line per request, errors too."""

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
        answered = [False]

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_seen[0] = message["status"]
                answered[0] = True
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
            rejected = [False]

            async def counted() -> Message:
                if rejected[0]:
                    return {"type": "http.disconnect"}
                message = await receive()
                if message["type"] == "http.request":
                    received[0] += len(message.get("body", b""))
                    if received[0] > self.max_bytes:  # a streamed body over the limit
                        rejected[0] = True
                        await self._reject(send_with_id, request_id)
                        return {"type": "http.disconnect"}
                return message

            async def unless_rejected(message: Message) -> None:
                if not rejected[0]:  # the 413 is the answer; the app's own is dropped
                    await send_with_id(message)

            try:
                await self.app(scope, counted, unless_rejected)
            except Exception:
                log.exception("unexpected error, request %s", request_id)
                if not answered[0]:
                    await _send_json(send_with_id, *_error(500, "internal", _INTERNAL, request_id))
                status_seen[0] = 500
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
        message = f"the request body is over {self.max_bytes} bytes"
        await _send_json(send, *_error(413, "too_large", message, request_id))


_INTERNAL = "an unexpected error (logged with the request id)"


async def _send_json(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})
