"""AsyncMemory: the verbs of Memory, awaitable."""

from __future__ import annotations

import asyncio
from typing import Any

from memstrata.memory import Memory
from memstrata.model import (
    Answer,
    Entity,
    Episode,
    Event,
    Fact,
    HistoryEntry,
    Hit,
    ImportReport,
    Note,
    StoreStats,
)


class AsyncMemory:
    """The same verbs as Memory, awaitable; each call runs the sync core in a thread."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.sync = Memory(*args, **kwargs)

    async def add(self, *args: Any, **kwargs: Any) -> list[Episode]:
        return await asyncio.to_thread(self.sync.add, *args, **kwargs)

    async def search(self, *args: Any, **kwargs: Any) -> list[Hit]:
        return await asyncio.to_thread(self.sync.search, *args, **kwargs)

    async def context(self, *args: Any, **kwargs: Any) -> str:
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

    async def export(self, *args: Any, **kwargs: Any) -> int:
        return await asyncio.to_thread(self.sync.export, *args, **kwargs)

    async def import_(self, *args: Any, **kwargs: Any) -> ImportReport:
        return await asyncio.to_thread(self.sync.import_, *args, **kwargs)

    async def flush(self) -> int:
        return await asyncio.to_thread(self.sync.flush)

    async def reembed(self) -> int:
        return await asyncio.to_thread(self.sync.reembed)

    async def close(self) -> None:
        await asyncio.to_thread(self.sync.close)

    async def __aenter__(self) -> AsyncMemory:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
