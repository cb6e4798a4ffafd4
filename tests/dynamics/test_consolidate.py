"""Consolidation: merging, promotion, the summary tree, the profile, jobs."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

import pytest

from memstrata import InvalidInput, Memory, NotFound
from memstrata.dynamics.consolidate import duplicate_groups
from memstrata.model import JSONValue, Note
from memstrata.store.base import ChangeSet
from tests.conftest import T0

SESSIONS = {
    "s1": ["I went hiking with Maya at Mount Tam.", "The view from Mount Tam was amazing."],
    "s2": ["Maya wants to hike Mount Tam again in June.", "I bought new boots for it."],
    "s3": ["My boss Tom yelled at me today.", "I almost quit my job."],
    "s4": ["Tom apologised and gave me a raise.", "Work is better now."],
}


def fill(memory: Memory) -> None:
    for day, (session, lines) in enumerate(SESSIONS.items()):
        start = T0 + timedelta(days=7 * day)
        memory.add(
            [
                {"content": text, "speaker": "Ana", "occurred_at": start + timedelta(minutes=i)}
                for i, text in enumerate(lines)
            ],
            session_id=session,
        )


def duplicate_pair(memory: Memory) -> tuple[str, str]:
    """Two notes that say the same thing, written past the insert-time merge."""
    e1, e2 = memory.add(["I adore sourdough bread baking", "I adore sourdough bread baking!!"])
    ns = memory.settings.namespace
    ids: list[str] = []
    for episode in (e1, e2):
        note = Note(
            f"dup-{len(ids)}",
            ns,
            "preference",
            episode.content,
            ("sourdough",),
            None,
            episode.occurred_at,
            episode.recorded_at,
            (episode.id,),
        )
        changes = ChangeSet(notes=[(note, note.id)], sources=[("note", note.id, episode.id)])
        memory.store.structure.apply(ns, changes, "test", episode.recorded_at)
        ids.append(note.id)
    return ids[0], ids[1]


def test_near_duplicates_merge_into_the_oldest_and_nothing_is_lost(memory: Memory) -> None:
    first, second = duplicate_pair(memory)
    traceable = {n.id: set(n.episode_ids) for n in memory.notes(limit=1000)}
    job = memory.consolidate()
    assert job.state == "done" and job.result["merged"] == 1
    kept = {n.id for n in memory.notes(limit=1000)}
    assert first in kept and second not in kept
    everything = {n.id: n for n in memory.notes(limit=1000, include_archived=True)}
    assert set(everything) == set(traceable)  # archived, not deleted
    assert set(everything[first].episode_ids) == traceable[first] | traceable[second]
    assert memory.strength(second).archive_reason == f"merged into {first}"
    assert [h.action for h in memory.history("note", second)][-1] == "archive"
    again = memory.consolidate()
    assert again.result["merged"] == 0 and again.result["event_summaries_written"] == 0


def test_duplicate_groups_need_the_same_speaker_and_close_terms() -> None:
    def note(i: int, text: str, speaker: str = "Ana") -> Note:
        return Note(str(i), "ns", "fact", text, (), speaker, T0, T0 + timedelta(seconds=i), ())

    notes = [
        note(1, "I adopted a dog named Rex last spring"),
        note(2, "I adopted a dog named Rex last spring!"),
        note(3, "I adopted a dog named Rex last spring", "Bo"),
        note(4, "I adopted a cat named Rex last winter"),
    ]
    assert [[n.id for n in g] for g in duplicate_groups(notes)] == [["1", "2"]]


def test_the_summary_tree_links_events_topics_and_the_profile(memory: Memory) -> None:
    fill(memory)
    memory.add("I moved to Lyon.", speaker="Ana", occurred_at=T0 + timedelta(days=40))
    memory.consolidate()
    events = memory.summaries(level="event")
    assert len(events) == len(memory.events())
    for summary, event in zip(events, memory.events(), strict=True):
        assert summary.child_kind == "episode" and summary.children == event.episode_ids
    topics = memory.summaries(level="topic")
    session_of = {e.id: memory.get(e.children[0]).session_id for e in events}
    grouped = sorted(sorted(str(session_of[c]) for c in t.children) for t in topics)
    assert grouped == [["s1", "s2"], ["s3", "s4"]]
    assert all(t.child_kind == "summary" for t in topics)
    (root,) = memory.summaries(level="profile")
    assert root.child_kind == "record" and any(c.startswith("fact:") for c in root.children)
    assert "Lyon" in root.text


def test_recall_goes_coarse_to_fine_down_the_tree(memory: Memory) -> None:
    fill(memory)
    memory.consolidate()
    (best,) = memory.summaries("Tom raise", level="topic", limit=1)
    under = set()
    for event in memory.summaries(level="event"):
        if event.id in best.children:
            under |= set(event.children)
    hits = memory.search("work", within=best.id, limit=10)
    assert hits and {h.id for h in hits} <= under
    with pytest.raises(NotFound):
        memory.search("work", within="no-such-summary")
    with pytest.raises(InvalidInput):
        memory.summaries(level="chapter")  # type: ignore[arg-type]


def test_a_purge_takes_the_summaries_above_it_and_consolidation_rebuilds(
    memory: Memory,
) -> None:
    fill(memory)
    memory.consolidate()
    victim = memory.summaries(level="event")[0]
    memory.purge(victim.children[0])
    left = memory.summaries()
    assert victim.id not in {s.id for s in left}
    assert not [s for s in left if s.level != "event"]
    memory.consolidate()
    assert memory.summaries(level="topic") and memory.summaries(level="profile")
    assert all(victim.children[0] not in s.children for s in memory.summaries(level="event"))


def test_the_profile_follows_a_move_and_keeps_what_it_replaced(memory: Memory) -> None:
    memory.add("I live in Paris.", speaker="Ana", occurred_at=T0)
    memory.add("I love pottery.", speaker="Ana", occurred_at=T0 + timedelta(days=1))
    memory.add("I moved to Lyon.", speaker="Ana", occurred_at=T0 + timedelta(days=90))
    lines = {line.statement: line for line in memory.profile().lines}
    assert "Ana lives in Lyon" in lines and "Ana lives in Paris" not in lines
    assert lines["Ana lives in Lyon"].previously == ("Ana lives in Paris (until 2023-08-06)",)
    assert any("pottery" in s for s in lines)
    assert all(line.episode_ids for line in lines.values())
    then = {line.statement for line in memory.profile(as_of=T0 + timedelta(days=2)).lines}
    assert "Ana lives in Paris" in then and "Ana lives in Lyon" not in then


def test_a_job_left_by_a_dead_worker_is_resumed_not_redone(memory: Memory) -> None:
    fill(memory)
    queued = memory.consolidate(background=True)
    assert queued.state == "queued"
    dead = f"{os.uname().nodename}:999999999:gone"
    store = memory.store
    claimed = store.jobs.claim(dead, datetime.now(UTC), [])
    assert claimed is not None and claimed.id == queued.id
    cursor: dict[str, JSONValue] = {
        "done": ["merge", "promote"],
        "result": {"merged": 0, "promoted": 0},
    }
    assert store.jobs.progress(queued.id, dead, "events", cursor, 0, 4, datetime.now(UTC))
    (resumed,) = memory.run_jobs()
    assert resumed.id == queued.id and resumed.state == "done" and resumed.attempts == 2
    assert resumed.result["event_summaries_written"] == len(memory.events())
    assert memory.run_jobs() == []


def test_a_job_held_by_a_live_worker_is_left_alone(memory: Memory) -> None:
    queued = memory.consolidate(background=True)
    alive = f"{os.uname().nodename}:{os.getpid()}:other"
    assert memory.store.jobs.claim(alive, datetime.now(UTC), []) is not None
    assert memory.run_jobs() == []
    assert memory.jobs()[0].id == queued.id and memory.jobs()[0].state == "running"


def test_policies_schedule_jobs_that_the_worker_runs(memory: Memory) -> None:
    fill(memory)
    with pytest.raises(InvalidInput):
        memory.set_policy(consolidate_every=5)
    for wrong in (10**20, float("inf"), float("nan"), timedelta(days=50_000)):
        with pytest.raises(InvalidInput) as caught:  # never a database overflow
            memory.set_policy(forget_every=wrong)
        assert caught.value.field == "forget_every"
    memory.set_policy(consolidate_every=3600, forget_below=0.2, forget_every=3600)
    assert {j.kind for j in memory.schedule_due()} == {"consolidate", "forget"}
    assert memory.schedule_due() == []  # not due again within the hour
    memory.start_worker(poll_s=0.02)
    deadline = datetime.now(UTC) + timedelta(seconds=20)
    while datetime.now(UTC) < deadline and any(j.state != "done" for j in memory.jobs()):
        time.sleep(0.05)
    memory.stop_worker()
    assert sorted(j.state for j in memory.jobs()) == ["done", "done"]
    assert memory.summaries(level="event")
