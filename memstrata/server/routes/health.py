"""The service itself: liveness, readiness, and the namespaces a key may touch."""

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from memstrata.errors import StoreError
from memstrata.server import schemas
from memstrata.server.keys import Principal
from memstrata.server.routes.paging import Limit, Offset, page
from memstrata.server.service import Service, error_body


def router(service: Service, principal: Callable[..., Principal]) -> APIRouter:
    Who = Annotated[Principal, Depends(principal)]
    routes = APIRouter()

    @routes.get("/healthz", tags=["service"])
    def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @routes.get("/readyz", tags=["service"], response_model=None)
    def readyz(request: Request) -> dict[str, str] | JSONResponse:
        """The store answers."""
        try:
            service.memory.store.get_meta("embedder")
        except StoreError as exc:
            return error_body(503, "store_error", str(exc), request)
        return {"status": "ready"}

    @routes.get("/v1/namespaces", tags=["namespaces"])
    def namespaces(who: Who, limit: Limit = 100, offset: Offset = 0) -> schemas.Page[str]:
        """The namespaces this key may touch that hold anything."""
        return page([n for n in service.memory.namespaces() if who.may(n)], offset, limit)

    return routes
