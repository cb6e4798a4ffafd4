"""Index snapshots: a new process loads the namespace's replayed state from a
file beside the store and searches exactly as a full replay would; stale,
foreign or broken files are ignored, and a purge leaves no file behind."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from memstrata import Memory, Settings
from memstrata.index import snapshot
from memstrata.testing import HashEmbedder

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
TOPICS = ["dog", "violin", "Lyon", "marathon", "sourdough", "chess", "garden", "Kyoto"]
QUESTIONS = [
    "what is my dog called?",
    "when did I run the marathon in Lyon?",
    "sourdough starter",
    "Kyoto trip with Mira",
]


@pytest.fixture(autouse=True)
def small_snapshots(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(snapshot, "MIN_EPISODES", 20)
    yield


def open_memory(path: Path) -> Memory:
    return Memory(settings=Settings.load({}, path=str(path)), embedder=HashEmbedder(dimensions=32))


def add_sessions(memory: Memory, first: int, count: int) -> None:
    for s in range(first, first + count):
        topic = TOPICS[s % len(TOPICS)]
        turns = [
            ("user", f"I took my {topic} lessons with Mira in week {s}."),
            ("assistant", f"**{topic.title()}**: keep practising, week {s}!"),
            ("user", f"My friend Tomas joined the {topic} club {s} days ago."),
        ]
        memory.add(
            [{"role": role, "content": content} for role, content in turns],
            session_id=f"s{s}",
            occurred_at=T0 + timedelta(days=s),
        )


def answers(memory: Memory) -> list[list[tuple[tuple[str, ...], float]]]:
    """Several searches (filters included), without reinforcement (which writes)."""
    out = []
    for question in QUESTIONS:
        for filters in ({}, {"session_id": "s3"}, {"since": T0 + timedelta(days=5)}):
            hits = memory.search(question, limit=8, reinforce=False, **filters)
            out.append([(h.episode_ids, round(h.score, 5)) for h in hits])
    return out


def snapshot_file(path: Path) -> Path:
    return path.parent / f"{path.name}.side" / "index" / "default.npz"


def test_a_new_process_loads_the_snapshot_and_searches_as_a_replay(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    with open_memory(path) as memory:
        add_sessions(memory, 0, 12)
        doomed = memory.search("violin lessons", limit=1, reinforce=False)[0].episode_ids[0]
        memory.delete(doomed)
        memory.search("anything", reinforce=False)  # the index is built (and saved: 36 turns)
    assert snapshot_file(path).exists()
    with open_memory(path) as memory:  # from the file, then the changes after it
        add_sessions(memory, 12, 4)
        memory.restore(doomed)
        loaded = answers(memory)
        index = memory.index("default")
        assert index is not None and index.snapshot_size == 36 and index.size == 48
    snapshot_file(path).unlink()
    with open_memory(path) as memory:  # a full replay of the same log
        assert answers(memory) == loaded
        assert any(loaded) and all(len(a) <= 8 for a in loaded)


def test_state_round_trips_every_array(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    with open_memory(path) as memory:
        add_sessions(memory, 0, 10)
        index = memory.index("default")
        assert index is not None
        before = index.state()
        snapshot.save(index, tmp_path / "s.npz", memory.embedder.name)
        fresh = memory._recall.new_index("default", index.created_us)
        assert snapshot.load(fresh, tmp_path / "s.npz", memory.embedder.name)
        after = fresh.state()
    assert before.keys() == after.keys()
    for name, values in before.items():
        assert np.array_equal(values, after[name]), name


def test_foreign_and_broken_snapshots_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    with open_memory(path) as memory:
        add_sessions(memory, 0, 10)
        expected = answers(memory)
        index = memory.index("default")
        assert index is not None
        empty = memory._recall.new_index("default", index.created_us)
        assert not snapshot.load(empty, snapshot_file(path), "another-model")
        other = memory._recall.new_index("default", index.created_us + 1)  # another incarnation
        assert not snapshot.load(other, snapshot_file(path), memory.embedder.name)
    snapshot_file(path).write_bytes(b"not a zip file at all")
    with open_memory(path) as memory:
        assert answers(memory) == expected  # replayed from the log instead
    assert snapshot_file(path).stat().st_size > 100  # and written again on close


def test_purge_removes_the_snapshot_and_its_words(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    with open_memory(path) as memory:
        add_sessions(memory, 0, 10)
        secret = memory.add("my locker code is zebrafish", session_id="s1")[0]
        memory.search("zebrafish", reinforce=False)
    assert snapshot_file(path).exists()
    with open_memory(path) as memory:
        memory.purge(secret.id)
        assert not snapshot_file(path).exists()
        hits = memory.search("zebrafish", reinforce=False)
        assert hits and not any("zebrafish" in h.text for h in hits)
    assert b"zebrafish" not in snapshot_file(path).read_bytes()  # the one written on close
    with open_memory(path) as memory:
        memory.purge(everything=True)
    assert not snapshot_file(path).exists()


def test_a_process_closing_after_another_purged_writes_no_purged_word(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    with open_memory(path) as memory:
        add_sessions(memory, 0, 10)
    holder, purger = open_memory(path), open_memory(path)
    try:
        secret = holder.add("my locker code is zebrafish", session_id="s1")[0]
        holder.search("zebrafish", reinforce=False)  # its index holds the word (and is saved)
        holder.add("and my bike lock code is 4711", session_id="s1")
        holder.search("bike", reinforce=False)  # a change the saved snapshot lacks
        purger.purge(secret.id)
    finally:
        purger.close()
        holder.close()  # replays the purge before it would write a snapshot
    assert not snapshot_file(path).exists() or b"zebrafish" not in snapshot_file(path).read_bytes()


def test_each_session_is_opened_by_its_first_turn_not_in_a_reply_role(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    told = [
        ("system", "You are a helpful assistant.", "a"),
        ("user", "I just got a smoker and want BBQ recipes.", "a"),
        ("assistant", "Try hickory with pork shoulder.", "a"),
        ("assistant", "Welcome back!", "b"),
        ("user", "I booked my flight to Lisbon.", "b"),
    ]
    later = [("user", "Which wood suits brisket?", "a"), ("user", "Hello again.", "c")]
    with open_memory(path) as memory:
        for batch in (told, later):
            memory.add(
                [{"role": r, "content": c, "session_id": s} for r, c, s in batch],
                occurred_at=T0,
            )
        index = memory.index("default")
        assert index is not None
        opened = index.opens(np.arange(index.size)).tolist()
        assert opened == [False, True, False, False, True, False, True]
        fresh = memory._recall.new_index("default", index.created_us)
        fresh.restore(index.state())  # derived again from the sessions and roles
        assert fresh.opens(np.arange(fresh.size)).tolist() == opened
        memory.add([{"role": "user", "content": "And for ribs?", "session_id": "b"}])
        index = memory.index("default")
        assert index is not None and not index.opens(np.array([index.size - 1]))[0]
