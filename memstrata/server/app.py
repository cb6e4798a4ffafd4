"""The REST service: ``create_app(settings)`` builds a FastAPI app over one Memory.

Every route but /healthz and /readyz needs a key (``Authorization: Bearer
<token>`` or ``X-API-Key``); namespace routes check the key's scope, then call
Memory with that namespace, whose store filters every query by it (defence in
depth). Errors are JSON ``{"error": {"code", "message", "field", "request_id"}}``
with stable codes. Run it with ``memstrata serve``.
"""

import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any

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

try:
    from fastapi import Depends, FastAPI, Header, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from starlette.exceptions import HTTPException as StarletteHTTPException
except ImportError as exc:  # pragma: no cover - depends on the extra
    raise MissingDependency("server", "fastapi") from exc

from memstrata.config import Settings
from memstrata.memory import Memory
from memstrata.server import schemas
from memstrata.server.inspector import add_inspector
from memstrata.server.keys import Principal, authenticate, create_key
from memstrata.server.limits import Guard, RateLimiter
from memstrata.server.routes import Limit, Offset, namespace_router, page
from memstrata.store.base import ApiKey
from memstrata.timeutil import now

log = logging.getLogger("memstrata.server")
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

    def write(self, call: Callable[[], Any]) -> Any:
        """One writer at a time in this process (SQLite has one anyway)."""
        with self.writer:
            return call()


def error_body(
    status: int, code: str, message: str, request: Request, field: str | None = None
) -> JSONResponse:
    request_id = str(request.scope.get("state", {}).get("request_id", ""))
    body = {"error": {"code": code, "message": message, "field": field, "request_id": request_id}}
    return JSONResponse(body, status_code=status)


def create_app(settings: Settings | None = None, memory: Memory | None = None) -> FastAPI:
    """The app, with its own Memory (from ``settings``) unless one is given; it
    runs the background worker (consolidation, scheduled forgetting)."""
    config = settings or Settings.load()
    service = Service(memory or Memory(settings=config), config, RateLimiter(), threading.Lock())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service.memory.start_worker()
        yield
        service.memory.close()

    app = FastAPI(
        title="memstrata",
        version="1",
        description="Structured long-term memory: episodes, notes, facts, recall, dynamics.",
        lifespan=lifespan,
        # Swagger UI and ReDoc load their scripts from a CDN and stay blank offline;
        # the spec itself is served at /openapi.json.
        docs_url=None,
        redoc_url=None,
        responses={k: {"model": schemas.ErrorBody} for k in (400, 401, 403, 404, 413, 422, 429)},
    )
    app.state.service = service
    app.add_middleware(Guard, max_bytes=config.max_request_bytes)
    _handlers(app)

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

    def admin(who: Annotated[Principal, Depends(principal)]) -> Principal:
        if not who.is_admin:
            raise ApiError(403, "forbidden", "this needs an admin key")
        return who

    @app.get("/healthz", tags=["service"])
    def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["service"])
    def readyz(request: Request) -> Any:
        """The store answers."""
        try:
            service.memory.store.get_meta("embedder")
        except StoreError as exc:
            return error_body(503, "store_error", str(exc), request)
        return {"status": "ready"}

    @app.get("/v1/namespaces", tags=["namespaces"])
    def namespaces(
        who: Annotated[Principal, Depends(principal)], limit: Limit = 100, offset: Offset = 0
    ) -> schemas.Page[str]:
        """The namespaces this key may touch that hold anything."""
        return page([n for n in service.memory.namespaces() if who.may(n)], offset, limit)

    @app.post("/v1/keys", tags=["keys"], status_code=201)
    def make_key(
        body: schemas.KeyRequest, _: Annotated[Principal, Depends(admin)]
    ) -> schemas.NewKey:
        """Create a key scoped to namespaces (``*``: all); its token is shown once."""
        key, token = service.write(
            lambda: create_key(
                service.memory.store,
                body.name,
                body.namespaces,
                is_admin=body.is_admin,
                rate_per_minute=body.rate_per_minute,
            )
        )
        return schemas.NewKey(key=_key_out(key), token=token)

    @app.get("/v1/keys", tags=["keys"])
    def list_keys(
        _: Annotated[Principal, Depends(admin)], limit: Limit = 100, offset: Offset = 0
    ) -> schemas.Page[schemas.KeyOut]:
        return page([_key_out(k) for k in service.memory.store.keys.list()], offset, limit)

    @app.delete("/v1/keys/{key_id}", tags=["keys"])
    def revoke_key(key_id: str, _: Annotated[Principal, Depends(admin)]) -> schemas.Count:
        """Revoke a key (1) or say it was not live (0)."""
        return schemas.Count(
            count=int(service.write(lambda: service.memory.store.keys.revoke(key_id, now())))
        )

    app.include_router(namespace_router(service, principal), prefix="/v1/namespaces/{namespace}")
    add_inspector(app)
    return app


def _key_out(key: ApiKey) -> schemas.KeyOut:
    return schemas.KeyOut(
        id=key.id,
        name=key.name,
        namespaces=list(key.namespaces),
        is_admin=key.is_admin,
        rate_per_minute=key.rate_per_minute,
        created_at=key.created_at,
        revoked_at=key.revoked_at,
    )


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        response = error_body(exc.status, exc.code, str(exc), request)
        response.headers.update(exc.headers)
        return response

    @app.exception_handler(MemstrataError)
    async def memstrata_error(request: Request, exc: MemstrataError) -> JSONResponse:
        status = next((s for kind, s in STATUS if isinstance(exc, kind)), 500)
        field = getattr(exc, "field", None)
        return error_body(status, exc.code, str(exc), request, field)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        if first.get("type") == "json_invalid":  # its loc is a character offset
            message = f"the body is not valid JSON ({first.get('ctx', {}).get('error', '?')})"
            return error_body(400, "invalid_input", message, request, "body")
        if isinstance(first.get("input"), bytes):  # left undecoded: not UTF-8 text
            message = "the body is not valid UTF-8 JSON"
            return error_body(400, "invalid_input", message, request, "body")
        where = list(first.get("loc", ()))
        part = where.pop(0) if where and where[0] in ("body", "query", "path", "header") else None
        field = ".".join(str(p) for p in where) or part  # the field, else the part at fault
        return error_body(
            422, "invalid_input", str(first.get("msg", "invalid")), request, field or None
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:  # a body that could not be read as JSON text
            message = "the body is not valid UTF-8 JSON"
            return error_body(400, "invalid_input", message, request, "body")
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_body(exc.status_code, code, str(exc.detail), request)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return error_body(
            500, "internal", "an unexpected error (logged with the request id)", request
        )


def factory() -> Any:
    """``uvicorn memstrata.server.app:factory --factory``: the app from MEMSTRATA_*,
    logging one JSON line per request on stderr."""
    settings = Settings.load()
    if not log.handlers:  # one JSON line per request, on stderr of each worker process
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
    return create_app(settings)


__all__ = ["create_app", "factory"]
