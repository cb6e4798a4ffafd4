"""AsyncMemory: the verbs of Memory, awaitable."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from memstrata.memory import Memory
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
    Note,
    Policy,
    Profile,
    StoreStats,
    Strength,
    Summary,
    Task,
)
from memstrata.providers.llm.chat import TokenUsage


class AsyncMemory:
    """The same verbs as Memory, awaitable; each call runs the sync core in a thread."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.sync = Memory(*args, **kwargs)

    async def add(self, *args: Any, **kwargs: Any) -> list[Episode]:
        return await asyncio.to_thread(self.sync.add, *args, **kwargs)

    @asynccontextmanager
    async def bulk(self, processes: int | None = None) -> AsyncIterator[None]:
        """Memory.bulk() as an async context manager."""
        workers = await asyncio.to_thread(self.sync._bulk_begin, processes)
        try:
            yield
        except BaseException:
            await asyncio.to_thread(self.sync._bulk_end, workers, failed=True)
            raise
        await asyncio.to_thread(self.sync._bulk_end, workers, failed=False)

    async def search(self, *args: Any, **kwargs: Any) -> list[Hit]:
        return await asyncio.to_thread(self.sync.search, *args, **kwargs)

    async def context(self, *args: Any, **kwargs: Any) -> Context:
        return await asyncio.to_thread(self.sync.context, *args, **kwargs)

    async def answer(self, *args: Any, **kwargs: Any) -> Answer:
        return await asyncio.to_thread(self.sync.answer, *args, **kwargs)

    async def get(self, *args: Any, **kwargs: Any) -> Episode:
        return await asyncio.to_thread(self.sync.get, *args, **kwargs)

    async def delete(self, *args: Any, **kwargs: Any) -> Episode:
        return await asyncio.to_thread(self.sync.delete, *args, **kwargs)

    async def restore(self, *args: Any, **kwargs: Any) -> Episode:
        return await asyncio.to_thread(self.sync.restore, *args, **kwargs)

    async def purge(self, *args: Any, **kwargs: Any) -> int:
        return await asyncio.to_thread(self.sync.purge, *args, **kwargs)

    async def entities(self, *args: Any, **kwargs: Any) -> list[Entity]:
        return await asyncio.to_thread(self.sync.entities, *args, **kwargs)

    async def facts(self, *args: Any, **kwargs: Any) -> list[Fact]:
        return await asyncio.to_thread(self.sync.facts, *args, **kwargs)

    async def timeline(self, *args: Any, **kwargs: Any) -> list[Fact]:
        return await asyncio.to_thread(self.sync.timeline, *args, **kwargs)

    async def neighbors(self, *args: Any, **kwargs: Any) -> list[Fact]:
        return await asyncio.to_thread(self.sync.neighbors, *args, **kwargs)

    async def notes(self, *args: Any, **kwargs: Any) -> list[Note]:
        return await asyncio.to_thread(self.sync.notes, *args, **kwargs)

    async def events(self, *args: Any, **kwargs: Any) -> list[Event]:
        return await asyncio.to_thread(self.sync.events, *args, **kwargs)

    async def history(self, *args: Any, **kwargs: Any) -> list[HistoryEntry]:
        return await asyncio.to_thread(self.sync.history, *args, **kwargs)

    async def namespaces(self) -> list[str]:
        return await asyncio.to_thread(self.sync.namespaces)

    async def stats(self, *args: Any, **kwargs: Any) -> StoreStats:
        return await asyncio.to_thread(self.sync.stats, *args, **kwargs)

    async def llm_usage(self) -> TokenUsage:
        return await asyncio.to_thread(self.sync.llm_usage)

    async def export(self, *args: Any, **kwargs: Any) -> int:
        return await asyncio.to_thread(self.sync.export, *args, **kwargs)

    async def import_(self, *args: Any, **kwargs: Any) -> ImportReport:
        return await asyncio.to_thread(self.sync.import_, *args, **kwargs)

    async def flush(self) -> int:
        return await asyncio.to_thread(self.sync.flush)

    async def reembed(self) -> int:
        return await asyncio.to_thread(self.sync.reembed)

    async def strength(self, *args: Any, **kwargs: Any) -> Strength:
        return await asyncio.to_thread(self.sync.strength, *args, **kwargs)

    async def retention(self, *args: Any, **kwargs: Any) -> float:
        return await asyncio.to_thread(self.sync.retention, *args, **kwargs)

    async def pin(self, *args: Any, **kwargs: Any) -> Strength:
        return await asyncio.to_thread(self.sync.pin, *args, **kwargs)

    async def unarchive(self, *args: Any, **kwargs: Any) -> Strength:
        return await asyncio.to_thread(self.sync.unarchive, *args, **kwargs)

    async def forget(self, *args: Any, **kwargs: Any) -> list[Forgotten]:
        return await asyncio.to_thread(self.sync.forget, *args, **kwargs)

    async def consolidate(self, *args: Any, **kwargs: Any) -> Job:
        return await asyncio.to_thread(self.sync.consolidate, *args, **kwargs)

    async def jobs(self, *args: Any, **kwargs: Any) -> list[Job]:
        return await asyncio.to_thread(self.sync.jobs, *args, **kwargs)

    async def run_jobs(self, *args: Any, **kwargs: Any) -> list[Job]:
        return await asyncio.to_thread(self.sync.run_jobs, *args, **kwargs)

    async def set_policy(self, *args: Any, **kwargs: Any) -> Policy:
        return await asyncio.to_thread(self.sync.set_policy, *args, **kwargs)

    async def policy(self, *args: Any, **kwargs: Any) -> Policy:
        return await asyncio.to_thread(self.sync.policy, *args, **kwargs)

    async def schedule_due(self, *args: Any, **kwargs: Any) -> list[Job]:
        return await asyncio.to_thread(self.sync.schedule_due, *args, **kwargs)

    async def start_worker(self, *args: Any, **kwargs: Any) -> None:
        return await asyncio.to_thread(self.sync.start_worker, *args, **kwargs)

    async def stop_worker(self, *args: Any, **kwargs: Any) -> None:
        return await asyncio.to_thread(self.sync.stop_worker, *args, **kwargs)

    async def summaries(self, *args: Any, **kwargs: Any) -> list[Summary]:
        return await asyncio.to_thread(self.sync.summaries, *args, **kwargs)

    async def profile(self, *args: Any, **kwargs: Any) -> Profile:
        return await asyncio.to_thread(self.sync.profile, *args, **kwargs)

    async def open_task(self, *args: Any, **kwargs: Any) -> Task:
        return await asyncio.to_thread(self.sync.open_task, *args, **kwargs)

    async def open_subgoal(self, *args: Any, **kwargs: Any) -> Task:
        return await asyncio.to_thread(self.sync.open_subgoal, *args, **kwargs)

    async def step(self, *args: Any, **kwargs: Any) -> Episode:
        return await asyncio.to_thread(self.sync.step, *args, **kwargs)

    async def close_subgoal(self, *args: Any, **kwargs: Any) -> Note:
        return await asyncio.to_thread(self.sync.close_subgoal, *args, **kwargs)

    async def close_task(self, *args: Any, **kwargs: Any) -> Note:
        return await asyncio.to_thread(self.sync.close_task, *args, **kwargs)

    async def task(self, *args: Any, **kwargs: Any) -> Task:
        return await asyncio.to_thread(self.sync.task, *args, **kwargs)

    async def tasks(self, *args: Any, **kwargs: Any) -> list[Task]:
        return await asyncio.to_thread(self.sync.tasks, *args, **kwargs)

    async def working_context(self, *args: Any, **kwargs: Any) -> str:
        return await asyncio.to_thread(self.sync.working_context, *args, **kwargs)

    async def close(self) -> None:
        await asyncio.to_thread(self.sync.close)

    async def __aenter__(self) -> AsyncMemory:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
