"""Dynamics: summaries, the profile, forgetting, strength, pins, consolidation jobs, policy."""

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends

from memstrata.model import Forgotten, Job, Policy, Profile, Strength, Summary, SummaryLevel
from memstrata.server import schemas
from memstrata.server.routes.paging import Limit, Offset, page, reach
from memstrata.server.service import Service


def router(service: Service, scoped: Callable[..., str]) -> APIRouter:
    Ns = Annotated[str, Depends(scoped)]
    memory = service.memory
    routes = APIRouter(tags=["dynamics"])

    @routes.get("/summaries")
    def summaries(
        ns: Ns,
        query: str | None = None,
        level: SummaryLevel | None = None,
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> schemas.Page[Summary]:
        found = memory.summaries(query, level=level, limit=reach(offset, limit), namespace=ns)
        return page(found, offset, limit)

    @routes.get("/profile")
    def profile(ns: Ns, as_of: datetime | None = None) -> Profile:
        return memory.profile(namespace=ns, as_of=as_of)

    @routes.post("/forget")
    def forget(ns: Ns, body: schemas.ForgetRequest) -> list[Forgotten]:
        """Archive faded notes and summaries (or exactly ``ids``); ``dry_run`` lists them."""
        return service.write(
            lambda: memory.forget(
                namespace=ns,
                threshold=body.threshold,
                ids=body.ids,
                record_kind=body.record_kind,
                dry_run=body.dry_run,
                now=body.now,
            )
        )

    @routes.post("/unarchive")
    def unarchive(ns: Ns, body: schemas.RecordRequest) -> Strength:
        return service.write(
            lambda: memory.unarchive(body.record_id, record_kind=body.record_kind, namespace=ns)
        )

    @routes.post("/pin")
    def pin(ns: Ns, body: schemas.PinRequest) -> Strength:
        return service.write(
            lambda: memory.pin(
                body.record_id,
                is_pinned=body.is_pinned,
                record_kind=body.record_kind,
                namespace=ns,
            )
        )

    @routes.get("/strength/{record_kind}/{record_id}")
    def strength(ns: Ns, record_kind: str, record_id: str) -> Strength:
        return memory.strength(record_id, record_kind=record_kind, namespace=ns)

    @routes.post("/consolidate", status_code=202)
    def consolidate(ns: Ns, body: schemas.ConsolidateRequest) -> Job:
        """Queue a consolidation round for the worker (``background: false`` runs it now)."""
        return service.write(
            lambda: memory.consolidate(namespace=ns, now=body.now, background=body.background)
        )

    @routes.get("/jobs")
    def jobs(ns: Ns, limit: Limit = 20, offset: Offset = 0) -> schemas.Page[Job]:
        return page(memory.jobs(namespace=ns, limit=reach(offset, limit)), offset, limit)

    @routes.get("/policy")
    def get_policy(ns: Ns) -> Policy:
        return memory.policy(namespace=ns)

    @routes.put("/policy")
    def set_policy(ns: Ns, body: schemas.PolicyRequest) -> Policy:
        return service.write(
            lambda: memory.set_policy(
                namespace=ns,
                forget_below=body.forget_below,
                forget_every=body.forget_every_s,
                consolidate_every=body.consolidate_every_s,
            )
        )

    return routes
