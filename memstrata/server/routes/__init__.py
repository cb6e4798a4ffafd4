"""The REST routes, one router per tag. ``namespace_router`` gathers the routes
of one namespace (mounted under ``/v1/namespaces/{namespace}``)."""

from collections.abc import Callable

from fastapi import APIRouter

from memstrata.server.keys import Principal
from memstrata.server.routes import dynamics, episodes, recall, structure, tasks
from memstrata.server.service import Service, scope_of


def namespace_router(service: Service, principal: Callable[..., Principal]) -> APIRouter:
    """Every Memory verb of one namespace, each behind ``principal`` and its scope."""
    scoped = scope_of(principal)
    out = APIRouter()
    for part in (episodes, recall, structure, dynamics, tasks):
        out.include_router(part.router(service, scoped))
    return out
