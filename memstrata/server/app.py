"""The REST service: ``create_app(settings)`` builds a FastAPI app over one Memory.

Every route but /healthz and /readyz needs a key (``Authorization: Bearer
<token>`` or ``X-API-Key``); namespace routes check the key's scope, then call
Memory with that namespace, whose store filters every query by it (defence in
depth). Errors are JSON ``{"error": {"code", "message", "field", "request_id"}}``
with stable codes. Run it with ``memstrata serve``.
"""

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from memstrata.errors import MemstrataError, MissingDependency

try:
    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from starlette.exceptions import HTTPException as StarletteHTTPException
except ImportError as exc:  # pragma: no cover - depends on the extra
    raise MissingDependency("server", "fastapi") from exc

from memstrata.config import Settings
from memstrata.memory import Memory
from memstrata.server import schemas
from memstrata.server.inspector import add_inspector
from memstrata.server.limits import Guard, RateLimiter
from memstrata.server.routes import health, keys, namespace_router
from memstrata.server.service import STATUS, ApiError, Service, error_body, principal_of

log = logging.getLogger("memstrata.server")


def create_app(settings: Settings | None = None, memory: Memory | None = None) -> FastAPI:
    """The app, with its own Memory (from ``settings``) unless one is given; it
    runs the background worker (consolidation, scheduled forgetting). The guard
    (request size, request ids, one log line a request) wraps every route."""
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
    principal = principal_of(service)
    app.include_router(health.router(service, principal))
    app.include_router(keys.router(service, principal))
    app.include_router(namespace_router(service, principal), prefix="/v1/namespaces/{namespace}")
    add_inspector(app)
    return app


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


def factory() -> FastAPI:
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
