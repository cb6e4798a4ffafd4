"""Event segmentation: hard boundaries, surprise, modularity, and through Memory."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from memstrata import Memory
from memstrata.events.segment import hard_blocks, modularity, refine, segment, surprise_boundaries

T = datetime(2023, 5, 1, 9, 0, tzinfo=UTC)


def clusters(*sizes: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    rows = []
    for size in sizes:
        centre = rng.standard_normal(32)
        for _ in range(size):
            v = centre + 0.15 * rng.standard_normal(32)
            rows.append(v / np.linalg.norm(v))
    return np.array(rows, dtype=np.float32)


def test_silences_are_hard_boundaries() -> None:
    times = [T, T + timedelta(minutes=5), T + timedelta(hours=9), T + timedelta(hours=9, minutes=1)]
    assert hard_blocks(times) == [(0, 2), (2, 4)]
    assert hard_blocks([]) == []


def test_a_change_of_topic_starts_an_event() -> None:
    assert surprise_boundaries(clusters(8, 7)) == [0, 8]
    assert surprise_boundaries(clusters(12)) == [0]


def test_long_runs_are_split() -> None:
    assert surprise_boundaries(clusters(45), max_length=20) == [0, 20, 40]


def test_refinement_moves_a_boundary_to_the_best_modularity() -> None:
    vectors = clusters(6, 6)
    assert refine(vectors, [0, 5]) == [0, 6]
    labels_good = np.array([0] * 6 + [1] * 6)
    labels_bad = np.array([0] * 3 + [1] * 9)
    similarity = vectors @ vectors.T
    assert modularity(similarity, labels_good) > modularity(similarity, labels_bad)


def test_segment_combines_blocks_and_topics() -> None:
    vectors = clusters(5, 5, 4)
    times = [T + timedelta(minutes=i) for i in range(10)] + [
        T + timedelta(days=1, minutes=i) for i in range(4)
    ]
    assert segment(vectors, times) == [(0, 5), (5, 10), (10, 14)]


TEA = [
    "green tea with mint leaves",
    "mint tea steeping in the pot",
    "tea pot and mint leaves",
    "sipping hot green tea",
    "more green tea please",
]
BALL = [
    "football match tonight stadium",
    "the football team scored twice",
    "stadium crowd cheering the football team",
    "football goal keeper saves",
    "final whistle football match",
]


def test_memory_segments_sessions_into_titled_events(memory: Memory) -> None:
    turns = [
        {"content": t, "speaker": "Ana", "occurred_at": T + timedelta(minutes=i)}
        for i, t in enumerate(TEA + BALL)
    ]
    stored = memory.add(turns, session_id="s1")
    memory.add("a separate session about tea", session_id="s2", occurred_at=T)
    events = memory.events(session_id="s1")
    assert [len(e.episode_ids) for e in events] == [5, 5]
    assert events[0].episode_ids == tuple(e.id for e in stored[:5])
    assert "tea" in events[0].title and "football" in events[1].title
    assert events[0].started_at == T and events[1].ended_at == T + timedelta(minutes=9)
    assert sorted(str(e.session_id) for e in memory.events()) == ["s1", "s1", "s2"]


def test_events_follow_new_turns_and_purges(memory: Memory) -> None:
    stored = memory.add(
        [{"content": t, "occurred_at": T + timedelta(minutes=i)} for i, t in enumerate(TEA)],
        session_id="s1",
    )
    (first,) = memory.events()
    memory.add(
        [{"content": t, "occurred_at": T + timedelta(minutes=10 + i)} for i, t in enumerate(BALL)],
        session_id="s1",
    )
    events = memory.events()
    assert len(events) == 2 and events[0].id == first.id
    memory.purge(stored[0].id)
    assert all(stored[0].id not in e.episode_ids for e in memory.events())
    assert sum(len(e.episode_ids) for e in memory.events()) == 9
    assert memory.events(namespace="elsewhere") == []


def test_add_leaves_segmentation_to_the_reader(memory: Memory) -> None:
    memory.add(TEA, session_id="s1")
    assert memory.store.events.dirty_namespaces() == ["default"]
    assert "segment" not in memory.timings.seconds()
    assert len(memory.events()) == 1
    assert memory.store.events.dirty_namespaces() == []
    memory.add(BALL, session_id="s1", occurred_at=T + timedelta(hours=1))
    memory.flush()
    assert memory.store.events.dirty_namespaces() == []
    assert len(memory.store.events.list("default")) == 2
