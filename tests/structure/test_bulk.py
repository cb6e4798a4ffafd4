"""Memory.bulk(): add() stores words only while worker processes, each owning a
share of the namespaces, embed and extract; leaving waits until all is done."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from memstrata import AsyncMemory, Memory, Settings
from memstrata.bulk import Shard
from memstrata.testing import HashEmbedder
from tests.conftest import T0

SAID = [
    {"content": "I moved to Lyon last spring.", "speaker": "Ana"},
    {"content": "My sister Clara works at Bosch.", "speaker": "Ana"},
    {"content": "Actually I moved to Porto, not Lyon.", "speaker": "Ana"},
]
NAMESPACES = ["a", "b", "c", "d"]


def open_memory(path: Path | str) -> Memory:
    return Memory(settings=Settings.load({}, path=str(path)), embedder=HashEmbedder())


def structure(memory: Memory) -> dict[str, object]:
    return {
        ns: (
            sorted(
                (f.predicate, f.object, f.invalid_at is None) for f in memory.facts(namespace=ns)
            ),
            sorted(e.name for e in memory.entities(namespace=ns)),
            sorted(n.text for n in memory.notes(namespace=ns)),
        )
        for ns in NAMESPACES
    }


def waiting(memory: Memory) -> tuple[int, int]:
    stats = memory.stats().namespaces
    return sum(n.pending_vectors for n in stats), sum(n.queued_for_extraction for n in stats)


def add_all(memory: Memory) -> None:
    for ns in NAMESPACES:
        memory.add(SAID, namespace=ns, occurred_at=T0)


@pytest.fixture(scope="module")
def inline(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    with open_memory(tmp_path_factory.mktemp("inline") / "memory.db") as memory:
        add_all(memory)
        return structure(memory)


def test_shards_split_the_namespaces() -> None:
    names = [f"n{i}" for i in range(200)]
    owners = [
        [s.index for s in (Shard(0, 3), Shard(1, 3), Shard(2, 3)) if s.owns(n)] for n in names
    ]
    assert all(len(o) == 1 for o in owners)
    assert {o[0] for o in owners} == {0, 1, 2}


def test_bulk_with_worker_processes_ends_as_inline_adds_do(
    where: str, inline: dict[str, object]
) -> None:
    with open_memory(where) as memory:
        with memory.bulk(processes=2):
            add_all(memory)
            assert "Lyon" in memory.search("where did Ana move?", namespace="a")[0].text
        assert waiting(memory) == (0, 0)
        assert structure(memory) == inline
        stages = dict(memory.timings.seconds())
        assert "extract" not in stages and "embed" not in stages  # the workers did it all


def test_bulk_without_processes_defers_to_its_end(
    tmp_path: Path, inline: dict[str, object]
) -> None:
    with open_memory(tmp_path / "memory.db") as memory:
        with memory.bulk(processes=0):
            add_all(memory)
            assert waiting(memory) == (12, 12)
            assert memory.facts(namespace="a") == []
        assert waiting(memory) == (0, 0)
        assert structure(memory) == inline


def test_an_error_inside_bulk_keeps_what_was_added_queued(
    tmp_path: Path, inline: dict[str, object]
) -> None:
    with open_memory(tmp_path / "memory.db") as memory:
        with pytest.raises(KeyError), memory.bulk(processes=1):
            add_all(memory)
            raise KeyError("stop")
        assert memory.add("I like tea.", namespace="e", speaker="Ana")  # inline again
        assert memory.facts(namespace="e") != []
        memory.flush()
        assert waiting(memory) == (0, 0)
        assert structure(memory) == inline


def test_async_bulk_defers_adds_made_from_other_threads(
    tmp_path: Path, inline: dict[str, object]
) -> None:
    async def load() -> dict[str, object]:
        memory = AsyncMemory(
            settings=Settings.load({}, path=str(tmp_path / "m.db")), embedder=HashEmbedder()
        )
        async with memory.bulk(processes=0):  # the adds run in other threads
            for ns in NAMESPACES:
                await memory.add(SAID, namespace=ns, occurred_at=T0)
            assert waiting(memory.sync) == (12, 12)
        assert waiting(memory.sync) == (0, 0)
        found = structure(memory.sync)
        await memory.close()
        return found

    assert asyncio.run(load()) == inline


def test_a_bulk_load_leaves_a_snapshot_of_a_large_namespace(tmp_path: Path) -> None:
    many = [
        {"content": f"Note {i}: the blue kettle number {i}.", "speaker": "Ana"} for i in range(1001)
    ]
    with open_memory(tmp_path / "memory.db") as memory:
        with memory.bulk(processes=1):
            memory.add(many[:600], namespace="big", occurred_at=T0)
            memory.add(many[600:], namespace="big", occurred_at=T0)
            memory.add(SAID, namespace="small", occurred_at=T0)
        side = memory.store.side_path("index")
        assert side is not None
        assert sorted(p.name for p in side.iterdir()) == ["big.npz"]  # "small" needs none
    with open_memory(tmp_path / "memory.db") as fresh:
        (hit,) = fresh.search("blue kettle number 1000", namespace="big", limit=1)
        assert hit.text == "Note 1000: the blue kettle number 1000."
        index = fresh.index("big")
        assert index is not None
        assert index.snapshot_size == 1001  # loaded from the file, not replayed


def test_an_async_memory_opened_off_the_event_loop_answers_like_memory(tmp_path: Path) -> None:
    settings = Settings.load({}, path=str(tmp_path / "m.db"))

    async def use() -> tuple[list[str], list[str]]:
        async with await AsyncMemory.open(settings=settings, embedder=HashEmbedder()) as memory:
            added = await memory.add("I adopted a puppy named Biscuit.", speaker="Ana")
            hits = await memory.search("puppy Biscuit", limit=3, reinforce=False)
            return [e.id for e in added], [h.id for h in hits]

    added, found = asyncio.run(use())
    assert found[:1] == added
    with Memory(settings=settings, embedder=HashEmbedder()) as memory:
        assert memory.get(added[0]).content == "I adopted a puppy named Biscuit."
