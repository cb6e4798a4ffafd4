"""AsyncMemory: the verbs of Memory, awaitable, with Memory's own signatures.

Each verb runs the sync core in a worker thread. The verbs are made from
Memory's methods by one wrapper that keeps their parameters (``ParamSpec``),
so a type checker and ``inspect.signature`` see exactly what Memory takes.
``await AsyncMemory.open(...)`` loads the store and the embedder in a thread,
off the event loop.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Concatenate, Literal, ParamSpec, TypeVar

from memstrata.config import Settings
from memstrata.memory import Memory
from memstrata.providers.embed.base import Embedder

P = ParamSpec("P")
R = TypeVar("R")


def _threaded(
    verb: Callable[Concatenate[Memory, P], R],
) -> Callable[Concatenate[AsyncMemory, P], Coroutine[Any, Any, R]]:
    """``verb`` of the sync core as a coroutine method, its signature kept."""

    @functools.wraps(verb)
    async def call(self: AsyncMemory, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return await asyncio.to_thread(verb, self.sync, *args, **kwargs)

    return call


class AsyncMemory:
    """The same verbs as Memory, awaitable; each call runs the sync core in a thread."""

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        namespace: str | None = None,
        embedder: str | Embedder | None = None,
        on_model_change: Literal["error", "reembed"] | None = None,
        settings: Settings | None = None,
        sync: Memory | None = None,
    ) -> None:
        """As Memory's constructor (which loads the embedder here, in the calling
        thread); ``sync``: wrap a Memory already open instead."""
        self.sync = sync or Memory(
            path,
            namespace=namespace,
            embedder=embedder,
            on_model_change=on_model_change,
            settings=settings,
        )

    @classmethod
    async def open(
        cls,
        path: str | Path | None = None,
        *,
        namespace: str | None = None,
        embedder: str | Embedder | None = None,
        on_model_change: Literal["error", "reembed"] | None = None,
        settings: Settings | None = None,
    ) -> AsyncMemory:
        """An AsyncMemory whose store and embedder load in a worker thread."""
        sync = await asyncio.to_thread(
            functools.partial(
                Memory,
                path,
                namespace=namespace,
                embedder=embedder,
                on_model_change=on_model_change,
                settings=settings,
            )
        )
        return cls(sync=sync)

    add = _threaded(Memory.add)
    search = _threaded(Memory.search)
    candidates = _threaded(Memory.candidates)
    index = _threaded(Memory.index)
    context = _threaded(Memory.context)
    answer = _threaded(Memory.answer)
    get = _threaded(Memory.get)
    delete = _threaded(Memory.delete)
    restore = _threaded(Memory.restore)
    purge = _threaded(Memory.purge)
    entities = _threaded(Memory.entities)
    facts = _threaded(Memory.facts)
    timeline = _threaded(Memory.timeline)
    neighbors = _threaded(Memory.neighbors)
    notes = _threaded(Memory.notes)
    events = _threaded(Memory.events)
    history = _threaded(Memory.history)
    namespaces = _threaded(Memory.namespaces)
    stats = _threaded(Memory.stats)
    llm_usage = _threaded(Memory.llm_usage)
    export = _threaded(Memory.export)
    import_ = _threaded(Memory.import_)
    flush = _threaded(Memory.flush)
    reembed = _threaded(Memory.reembed)
    strength = _threaded(Memory.strength)
    retention = _threaded(Memory.retention)
    pin = _threaded(Memory.pin)
    unarchive = _threaded(Memory.unarchive)
    forget = _threaded(Memory.forget)
    consolidate = _threaded(Memory.consolidate)
    jobs = _threaded(Memory.jobs)
    run_jobs = _threaded(Memory.run_jobs)
    set_policy = _threaded(Memory.set_policy)
    policy = _threaded(Memory.policy)
    schedule_due = _threaded(Memory.schedule_due)
    start_worker = _threaded(Memory.start_worker)
    stop_worker = _threaded(Memory.stop_worker)
    summaries = _threaded(Memory.summaries)
    profile = _threaded(Memory.profile)
    open_task = _threaded(Memory.open_task)
    open_subgoal = _threaded(Memory.open_subgoal)
    step = _threaded(Memory.step)
    close_subgoal = _threaded(Memory.close_subgoal)
    close_task = _threaded(Memory.close_task)
    task = _threaded(Memory.task)
    tasks = _threaded(Memory.tasks)
    working_context = _threaded(Memory.working_context)

    @asynccontextmanager
    async def bulk(self, processes: int | None = None) -> AsyncIterator[None]:
        """Memory.bulk() as an async context manager."""
        workers = await asyncio.to_thread(self.sync._writer.bulk_begin, processes)
        try:
            yield
        except BaseException:
            await asyncio.to_thread(self.sync._writer.bulk_end, workers, failed=True)
            raise
        await asyncio.to_thread(self.sync._writer.bulk_end, workers, failed=False)

    async def close(self) -> None:
        await asyncio.to_thread(self.sync.close)

    async def __aenter__(self) -> AsyncMemory:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
