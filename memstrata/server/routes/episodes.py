"""Episodes: add, read, delete and restore, purge, export and import."""

import io
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from memstrata.errors import InvalidInput
from memstrata.model import Episode, ImportReport
from memstrata.server import schemas
from memstrata.server.service import Service
from memstrata.transfer import episode_to_json, read_jsonl


def router(service: Service, scoped: Callable[..., str]) -> APIRouter:
    Ns = Annotated[str, Depends(scoped)]
    memory = service.memory
    routes = APIRouter(tags=["episodes"])

    @routes.post("/episodes", status_code=201)
    def add(ns: Ns, body: schemas.AddRequest) -> list[Episode]:
        """Store messages as episodes (one durable transaction); ``id`` makes it idempotent."""
        messages = [m.model_dump(exclude_none=True) for m in body.messages]
        return service.write(
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

    @routes.get("/episodes/{episode_id}")
    def get(ns: Ns, episode_id: str) -> Episode:
        return memory.get(episode_id, namespace=ns)

    @routes.delete("/episodes/{episode_id}")
    def delete(ns: Ns, episode_id: str) -> Episode:
        """Soft delete: hidden from recall, kept, reversible."""
        return service.write(lambda: memory.delete(episode_id, namespace=ns))

    @routes.post("/episodes/{episode_id}/restore")
    def restore(ns: Ns, episode_id: str) -> Episode:
        return service.write(lambda: memory.restore(episode_id, namespace=ns))

    @routes.post("/purge")
    def purge(ns: Ns, body: schemas.PurgeRequest) -> schemas.Count:
        """Hard delete of episodes (or everything of the namespace): cannot be undone."""
        count = service.write(
            lambda: memory.purge(body.episode_ids, namespace=ns, everything=body.everything)
        )
        return schemas.Count(count=count)

    @routes.get(
        "/export",
        response_class=StreamingResponse,
        responses={200: {"content": {"application/x-ndjson": {}}}},
    )
    def export(ns: Ns, include_deleted: bool = True) -> StreamingResponse:
        """The namespace's episodes as JSONL (``memstrata.episode.v1``), streamed."""
        episodes = memory.store.episodes.iterate(ns, include_deleted)
        lines = (episode_to_json(e) + "\n" for e in episodes)
        return StreamingResponse(lines, media_type="application/x-ndjson")

    @routes.post("/import")
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

    return routes
