"""Structure: facts, entities and their neighbourhoods, notes, events, history, stats."""

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from memstrata.model import Entity, Event, Fact, HistoryEntry, NamespaceStats, Note
from memstrata.server import schemas
from memstrata.server.routes.paging import Limit, Offset, page
from memstrata.server.service import Service


def router(service: Service, scoped: Callable[..., str]) -> APIRouter:
    Ns = Annotated[str, Depends(scoped)]
    memory = service.memory
    routes = APIRouter(tags=["structure"])

    @routes.get("/facts")
    def facts(
        ns: Ns,
        subject: str | None = None,
        predicate: str | None = None,
        as_of: datetime | None = None,
        known_at: datetime | None = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> schemas.Page[Fact]:
        found = memory.facts(subject, predicate, as_of=as_of, known_at=known_at, namespace=ns)
        return page(found, offset, limit)

    @routes.get("/entities")
    def entities(
        ns: Ns, kind: str | None = None, limit: Limit = 100, offset: Offset = 0
    ) -> schemas.Page[Entity]:
        return page(memory.entities(namespace=ns, kind=kind), offset, limit)

    @routes.get("/entities/{name}/timeline")
    def timeline(ns: Ns, name: str, limit: Limit = 100, offset: Offset = 0) -> schemas.Page[Fact]:
        return page(memory.timeline(name, namespace=ns), offset, limit)

    @routes.get("/notes")
    def notes(
        ns: Ns,
        kind: str | None = None,
        speaker: str | None = None,
        include_archived: bool = False,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> schemas.Page[Note]:
        found = memory.notes(
            kind=kind,
            speaker=speaker,
            limit=min(offset + limit + 1, memory.settings.max_limit),
            include_archived=include_archived,
            namespace=ns,
        )
        return page(found, offset, limit)

    @routes.get("/events")
    def events(
        ns: Ns, session_id: str | None = None, limit: Limit = 100, offset: Offset = 0
    ) -> schemas.Page[Event]:
        return page(memory.events(session_id=session_id, namespace=ns), offset, limit)

    @routes.get("/entities/{name}/neighbors")
    def neighbors(
        ns: Ns,
        name: str,
        depth: Annotated[int, Query(ge=1, le=5)] = 1,
        as_of: datetime | None = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> schemas.Page[Fact]:
        found = memory.neighbors(name, depth=depth, as_of=as_of, namespace=ns)
        return page(found, offset, limit)

    @routes.get("/history/{record_kind}/{record_id}")
    def history(
        ns: Ns, record_kind: str, record_id: str, limit: Limit = 100, offset: Offset = 0
    ) -> schemas.Page[HistoryEntry]:
        return page(memory.history(record_kind, record_id, namespace=ns), offset, limit)

    @routes.get("/stats")
    def stats(ns: Ns) -> NamespaceStats:
        """Counts of the namespace (zeros for one that holds nothing yet, as every
        other route answers empty for it)."""
        found = memory.stats(ns).namespaces
        if not found:
            return NamespaceStats(ns, 0, 0, 0, 0, 0, None, None)
        return found[0]

    return routes
