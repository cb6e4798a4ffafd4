"""What every route shares: the service (memory, writer lock, limiter,
settings), the key checks every route depends on, and the error body."""

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse

from memstrata.config import Settings
from memstrata.errors import (
    Conflict,
    EmbedderMismatch,
    InvalidInput,
    MemstrataError,
    MissingDependency,
    NotFound,
    ProviderError,
    StoreError,
)
from memstrata.memory import Memory
from memstrata.server.keys import Principal, authenticate
from memstrata.server.limits import RateLimiter

T = TypeVar("T")
STATUS: tuple[tuple[type[MemstrataError], int], ...] = (
    (NotFound, 404),
    (EmbedderMismatch, 409),
    (Conflict, 409),
    (InvalidInput, 400),
    (StoreError, 503),
    (ProviderError, 502),
    (MissingDependency, 501),
)


class ApiError(Exception):
    """An HTTP-level refusal: 401, 403, 429 ..."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.headers = status, code, headers or {}


@dataclass
class Service:
    """What the routes share: the memory, the writer lock, the limiter, settings."""

    memory: Memory
    settings: Settings
    limiter: RateLimiter
    writer: threading.Lock

    def write(self, call: Callable[[], T]) -> T:
        """One writer at a time in this process (SQLite has one anyway)."""
        with self.writer:
            return call()


def error_body(
    status: int, code: str, message: str, request: Request, field: str | None = None
) -> JSONResponse:
    request_id = str(request.scope.get("state", {}).get("request_id", ""))
    body = {"error": {"code": code, "message": message, "field": field, "request_id": request_id}}
    return JSONResponse(body, status_code=status)


def principal_of(service: Service) -> Callable[..., Principal]:
    """The dependency that finds the caller's key (``Authorization: Bearer`` or
    ``X-API-Key``) and takes one request from its rate."""
    config = service.settings

    def principal(
        request: Request,
        authorization: Annotated[str | None, Header()] = None,
        x_api_key: Annotated[str | None, Header()] = None,
    ) -> Principal:
        token = x_api_key or ""
        if authorization and authorization.lower().startswith("bearer "):
            token = authorization[7:].strip()
        found = authenticate(service.memory.store, token, config.admin_key) if token else None
        if found is None:
            raise ApiError(401, "unauthorized", "a valid API key is needed")
        request.scope.setdefault("state", {})["key_id"] = found.key_id
        wait = service.limiter.take(found.key_id, found.rate_per_minute or config.rate_per_minute)
        if wait > 0:
            raise ApiError(
                429, "rate_limited", "too many requests", {"Retry-After": str(int(wait) + 1)}
            )
        return found

    return principal


def admin_of(principal: Callable[..., Principal]) -> Callable[..., Principal]:
    """The dependency that lets admin keys through only."""

    def admin(who: Annotated[Principal, Depends(principal)]) -> Principal:
        if not who.is_admin:
            raise ApiError(403, "forbidden", "this needs an admin key")
        return who

    return admin


def scope_of(principal: Callable[..., Principal]) -> Callable[..., str]:
    """The dependency that yields the path's namespace once the key may touch it."""

    def scoped(namespace: str, who: Annotated[Principal, Depends(principal)]) -> str:
        if not who.may(namespace):
            raise ApiError(403, "forbidden", "this key may not touch that namespace")
        return namespace

    return scoped
