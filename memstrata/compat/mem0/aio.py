"""mem0's ``AsyncMemory``: the same methods as coroutines, each run on a worker
thread over the one sync core."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from memstrata.compat.mem0.memory import Memory
from memstrata.memory import Memory as Engine


class AsyncMemory:
    """mem0's ``AsyncMemory`` over a memstrata ``Memory`` (see ``Memory``)."""

    def __init__(self, memory: Engine | None = None) -> None:
        self.sync = Memory(memory)
        self.memory = self.sync.memory

    @classmethod
    def from_config(cls, config_dict: Mapping[str, Any] | None = None) -> AsyncMemory:
        """As ``Memory.from_config``."""
        return cls(Memory.from_config(config_dict).memory)

    async def add(
        self,
        messages: str | Mapping[str, Any] | Sequence[Mapping[str, Any]],
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        infer: bool = True,
        memory_type: str | None = None,
        prompt: str | None = None,
    ) -> dict[str, list[dict[str, Any]]]:
        return await asyncio.to_thread(
            self.sync.add,
            messages,
            user_id=user_id,
            agent_id=agent_id,
            run_id=run_id,
            metadata=metadata,
            infer=infer,
            memory_type=memory_type,
            prompt=prompt,
        )

    async def search(
        self,
        query: str,
        *,
        top_k: int = 20,
        filters: Mapping[str, Any] | None = None,
        threshold: float | None = None,
        **kwargs: Any,
    ) -> dict[str, list[dict[str, Any]]]:
        return await asyncio.to_thread(
            self.sync.search, query, top_k=top_k, filters=filters, threshold=threshold, **kwargs
        )

    async def get(self, memory_id: str) -> dict[str, Any] | None:
        return await asyncio.to_thread(self.sync.get, memory_id)

    async def get_all(
        self, *, filters: Mapping[str, Any] | None = None, top_k: int = 20, **kwargs: Any
    ) -> dict[str, list[dict[str, Any]]]:
        return await asyncio.to_thread(self.sync.get_all, filters=filters, top_k=top_k, **kwargs)

    async def update(
        self, memory_id: str, data: str, metadata: Mapping[str, Any] | None = None
    ) -> dict[str, str]:
        return await asyncio.to_thread(self.sync.update, memory_id, data, metadata)

    async def delete(self, memory_id: str) -> dict[str, str]:
        return await asyncio.to_thread(self.sync.delete, memory_id)

    async def delete_all(
        self, user_id: str | None = None, agent_id: str | None = None, run_id: str | None = None
    ) -> dict[str, str]:
        return await asyncio.to_thread(self.sync.delete_all, user_id, agent_id, run_id)

    async def history(self, memory_id: str) -> list[dict[str, Any]]:
        return await asyncio.to_thread(self.sync.history, memory_id)

    async def reset(self) -> None:
        await asyncio.to_thread(self.sync.reset)
