"""The /v1/namespaces/{namespace} routes: every Memory verb of one namespace."""

import io
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from memstrata.errors import InvalidInput
from memstrata.model import (
    Answer,
    Context,
    Entity,
    Episode,
    Event,
    Fact,
    Forgotten,
    HistoryEntry,
    Hit,
    ImportReport,
    Job,
    NamespaceStats,
    Note,
    Policy,
    Profile,
    Strength,
    Summary,
    SummaryLevel,
    Task,
)
from memstrata.server import schemas
from memstrata.server.keys import Principal
from memstrata.transfer import episode_to_json, read_jsonl

T = TypeVar("T")
MAX_PAGE = 1000
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]


def page(items: Sequence[T], offset: int, limit: int) -> schemas.Page[T]:
    chunk = list(items[offset : offset + limit])
    more = len(items) > offset + limit
    return schemas.Page[T](items=chunk, next_offset=offset + limit if more else None)


def _reach(offset: int, limit: int) -> int:
    """How many records to read for a page: through it, plus one that says more
    follow; the engine reads at most MAX_PAGE (so do notes)."""
    return min(offset + limit + 1, MAX_PAGE)


def namespace_router(service: Any, principal: Callable[..., Principal]) -> APIRouter:
    """Routes bound to ``service`` (memory, writer lock), each behind ``principal``."""
    from memstrata.server.app import ApiError  # app imports this module

    def scoped(namespace: str, who: Annotated[Principal, Depends(principal)]) -> str:
        if not who.may(namespace):
            raise ApiError(403, "forbidden", "this key may not touch that namespace")
        return namespace

    Ns = Annotated[str, Depends(scoped)]
    memory = service.memory
    router = APIRouter()

    # -- episodes ---------------------------------------------------------------

    @router.post("/episodes", status_code=201, tags=["episodes"])
    def add(ns: Ns, body: schemas.AddRequest) -> list[Episode]:
        """Store messages as episodes (one durable transaction); ``id`` makes it idempotent."""
        messages = [m.model_dump(exclude_none=True) for m in body.messages]
        return service.write(  # type: ignore[no-any-return]
            lambda: memory.add(
                messages,
                namespace=ns,
                session_id=body.session_id,
                speaker=body.speaker,
                role=body.role,
                occurred_at=body.occurred_at,
                metadata=body.metadata,
            )
        )

    @router.get("/episodes/{episode_id}", tags=["episodes"])
    def get(ns: Ns, episode_id: str) -> Episode:
        return memory.get(episode_id, namespace=ns)  # type: ignore[no-any-return]

    @router.delete("/episodes/{episode_id}", tags=["episodes"])
    def delete(ns: Ns, episode_id: str) -> Episode:
        """Soft delete: hidden from recall, kept, reversible."""
        return service.write(lambda: memory.delete(episode_id, namespace=ns))  # type: ignore[no-any-return]

    @router.post("/episodes/{episode_id}/restore", tags=["episodes"])
    def restore(ns: Ns, episode_id: str) -> Episode:
        return service.write(lambda: memory.restore(episode_id, namespace=ns))  # type: ignore[no-any-return]

    @router.post("/purge", tags=["episodes"])
    def purge(ns: Ns, body: schemas.PurgeRequest) -> schemas.Count:
        """Hard delete of episodes (or everything of the namespace): cannot be undone."""
        count = service.write(
            lambda: memory.purge(body.episode_ids, namespace=ns, everything=body.everything)
        )
        return schemas.Count(count=count)

    # -- recall -----------------------------------------------------------------

    @router.post("/search", tags=["recall"])
    def search(ns: Ns, body: schemas.SearchRequest) -> list[Hit]:
        return memory.search(  # type: ignore[no-any-return]
            body.query,
            namespace=ns,
            limit=body.limit,
            session_id=body.session_id,
            speaker=body.speaker,
            since=body.since,
            until=body.until,
            metadata=body.metadata,
            now=body.now,
            within=body.within,
        )

    @router.post("/context", tags=["recall"])
    def context(ns: Ns, body: schemas.ContextRequest) -> Context:
        return memory.context(  # type: ignore[no-any-return]
            body.query,
            token_budget=body.token_budget,
            namespace=ns,
            now=body.now,
            session_id=body.session_id,
            speaker=body.speaker,
            since=body.since,
            until=body.until,
            tokenizer=body.tokenizer,
        )

    @router.post("/answer", tags=["recall"])
    def answer(ns: Ns, body: schemas.AnswerRequest) -> Answer:
        return memory.answer(  # type: ignore[no-any-return]
            body.query, token_budget=body.token_budget, namespace=ns, now=body.now
        )

    # -- structure --------------------------------------------------------------

    @router.get("/facts", tags=["structure"])
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

    @router.get("/entities", tags=["structure"])
    def entities(
        ns: Ns, kind: str | None = None, limit: Limit = 100, offset: Offset = 0
    ) -> schemas.Page[Entity]:
        return page(memory.entities(namespace=ns, kind=kind), offset, limit)

    @router.get("/entities/{name}/timeline", tags=["structure"])
    def timeline(ns: Ns, name: str, limit: Limit = 100, offset: Offset = 0) -> schemas.Page[Fact]:
        return page(memory.timeline(name, namespace=ns), offset, limit)

    @router.get("/notes", tags=["structure"])
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

    @router.get("/events", tags=["structure"])
    def events(
        ns: Ns, session_id: str | None = None, limit: Limit = 100, offset: Offset = 0
    ) -> schemas.Page[Event]:
        return page(memory.events(session_id=session_id, namespace=ns), offset, limit)

    @router.get("/entities/{name}/neighbors", tags=["structure"])
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

    @router.get(
        "/export",
        tags=["episodes"],
        response_class=StreamingResponse,
        responses={200: {"content": {"application/x-ndjson": {}}}},
    )
    def export(ns: Ns, include_deleted: bool = True) -> StreamingResponse:
        """The namespace's episodes as JSONL (``memstrata.episode.v1``), streamed."""
        episodes = memory.store.episodes.iterate(ns, include_deleted)
        lines = (episode_to_json(e) + "\n" for e in episodes)
        return StreamingResponse(lines, media_type="application/x-ndjson")

    @router.post("/import", tags=["episodes"])
    async def import_(ns: Ns, request: Request) -> ImportReport:
        """Episodes as JSONL (as ``/export`` writes them), all of this namespace; ids
        already present are skipped. Validated whole before anything is written."""
        try:
            raw = (await request.body()).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"is not valid UTF-8 ({exc.reason})", field="body") from exc
        episodes = list(read_jsonl(io.StringIO(raw), memory.settings.max_content_chars))
        if any(e.namespace != ns for e in episodes):
            raise InvalidInput("every episode must belong to this namespace", field="namespace")
        text = "".join(episode_to_json(e) + "\n" for e in episodes)
        return await run_in_threadpool(service.write, lambda: memory.import_(io.StringIO(text)))

    @router.get("/history/{record_kind}/{record_id}", tags=["structure"])
    def history(
        ns: Ns, record_kind: str, record_id: str, limit: Limit = 100, offset: Offset = 0
    ) -> schemas.Page[HistoryEntry]:
        return page(memory.history(record_kind, record_id, namespace=ns), offset, limit)

    @router.get("/stats", tags=["structure"])
    def stats(ns: Ns) -> NamespaceStats:
        """Counts of the namespace (zeros for one that holds nothing yet, as every
        other route answers empty for it)."""
        found = memory.stats(ns).namespaces
        if not found:
            return NamespaceStats(ns, 0, 0, 0, 0, 0, None, None)
        return found[0]  # type: ignore[no-any-return]

    _dynamics_routes(router, service, Ns)
    _task_routes(router, service, Ns)
    return router


def _dynamics_routes(router: APIRouter, service: Any, Ns: Any) -> None:
    memory = service.memory

    @router.get("/summaries", tags=["dynamics"])
    def summaries(
        ns: Ns,
        query: str | None = None,
        level: SummaryLevel | None = None,
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> schemas.Page[Summary]:
        found = memory.summaries(query, level=level, limit=_reach(offset, limit), namespace=ns)
        return page(found, offset, limit)

    @router.get("/profile", tags=["dynamics"])
    def profile(ns: Ns, as_of: datetime | None = None) -> Profile:
        return memory.profile(namespace=ns, as_of=as_of)  # type: ignore[no-any-return]

    @router.post("/forget", tags=["dynamics"])
    def forget(ns: Ns, body: schemas.ForgetRequest) -> list[Forgotten]:
        """Archive faded notes and summaries (or exactly ``ids``); ``dry_run`` lists them."""
        return service.write(  # type: ignore[no-any-return]
            lambda: memory.forget(
                namespace=ns,
                threshold=body.threshold,
                ids=body.ids,
                record_kind=body.record_kind,
                dry_run=body.dry_run,
                now=body.now,
            )
        )

    @router.post("/unarchive", tags=["dynamics"])
    def unarchive(ns: Ns, body: schemas.RecordRequest) -> Strength:
        return service.write(  # type: ignore[no-any-return]
            lambda: memory.unarchive(body.record_id, record_kind=body.record_kind, namespace=ns)
        )

    @router.post("/pin", tags=["dynamics"])
    def pin(ns: Ns, body: schemas.PinRequest) -> Strength:
        return service.write(  # type: ignore[no-any-return]
            lambda: memory.pin(
                body.record_id,
                is_pinned=body.is_pinned,
                record_kind=body.record_kind,
                namespace=ns,
            )
        )

    @router.get("/strength/{record_kind}/{record_id}", tags=["dynamics"])
    def strength(ns: Ns, record_kind: str, record_id: str) -> Strength:
        return memory.strength(record_id, record_kind=record_kind, namespace=ns)  # type: ignore[no-any-return]

    @router.post("/consolidate", tags=["dynamics"], status_code=202)
    def consolidate(ns: Ns, body: schemas.ConsolidateRequest) -> Job:
        """Queue a consolidation round for the worker (``background: false`` runs it now)."""
        return service.write(  # type: ignore[no-any-return]
            lambda: memory.consolidate(namespace=ns, now=body.now, background=body.background)
        )

    @router.get("/jobs", tags=["dynamics"])
    def jobs(ns: Ns, limit: Limit = 20, offset: Offset = 0) -> schemas.Page[Job]:
        return page(memory.jobs(namespace=ns, limit=_reach(offset, limit)), offset, limit)

    @router.get("/policy", tags=["dynamics"])
    def get_policy(ns: Ns) -> Policy:
        return memory.policy(namespace=ns)  # type: ignore[no-any-return]

    @router.put("/policy", tags=["dynamics"])
    def set_policy(ns: Ns, body: schemas.PolicyRequest) -> Policy:
        return service.write(  # type: ignore[no-any-return]
            lambda: memory.set_policy(
                namespace=ns,
                forget_below=body.forget_below,
                forget_every=body.forget_every_s,
                consolidate_every=body.consolidate_every_s,
            )
        )


def _task_routes(router: APIRouter, service: Any, Ns: Any) -> None:
    memory = service.memory

    @router.post("/tasks", tags=["working memory"], status_code=201)
    def open_task(ns: Ns, body: schemas.TitleRequest) -> Task:
        return service.write(lambda: memory.open_task(body.title, namespace=ns))  # type: ignore[no-any-return]

    @router.get("/tasks", tags=["working memory"])
    def tasks(
        ns: Ns, open_only: bool = True, limit: Limit = 20, offset: Offset = 0
    ) -> schemas.Page[Task]:
        found = memory.tasks(open_only=open_only, limit=_reach(offset, limit), namespace=ns)
        return page(found, offset, limit)

    @router.get("/tasks/{task_id}", tags=["working memory"])
    def task(ns: Ns, task_id: str) -> Task:
        return memory.task(task_id, namespace=ns)  # type: ignore[no-any-return]

    @router.post("/tasks/{task_id}/subgoals", tags=["working memory"], status_code=201)
    def open_subgoal(ns: Ns, task_id: str, body: schemas.TitleRequest) -> Task:
        return service.write(  # type: ignore[no-any-return]
            lambda: memory.open_subgoal(task_id, body.title, namespace=ns)
        )

    @router.post("/tasks/{task_id}/steps", tags=["working memory"], status_code=201)
    def step(ns: Ns, task_id: str, body: schemas.StepRequest) -> Episode:
        return service.write(  # type: ignore[no-any-return]
            lambda: memory.step(task_id, body.content, kind=body.kind, namespace=ns)
        )

    @router.post("/tasks/{task_id}/close-subgoal", tags=["working memory"])
    def close_subgoal(ns: Ns, task_id: str, body: schemas.SummaryRequest) -> Note:
        return service.write(  # type: ignore[no-any-return]
            lambda: memory.close_subgoal(task_id, summary=body.summary, namespace=ns)
        )

    @router.post("/tasks/{task_id}/close", tags=["working memory"])
    def close_task(ns: Ns, task_id: str, body: schemas.SummaryRequest) -> Note:
        return service.write(  # type: ignore[no-any-return]
            lambda: memory.close_task(task_id, summary=body.summary, namespace=ns)
        )

    @router.get("/tasks/{task_id}/context", tags=["working memory"])
    def working_context(ns: Ns, task_id: str, token_budget: Limit = 1000) -> schemas.Text:
        return schemas.Text(
            text=memory.working_context(task_id, token_budget=token_budget, namespace=ns)
        )
