"""forget(): archive what faded (reversible), never an episode; recall reinforces."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from memstrata import InvalidInput, Memory, NotFound, Settings
from memstrata.testing import HashEmbedder
from memstrata.timeutil import now


def test_a_dry_run_lists_with_reasons_and_archives_nothing(memory: Memory) -> None:
    memory.add("I adopted a greyhound named Pixel.", speaker="Ana")
    later = now() + timedelta(days=365)
    listed = memory.forget(dry_run=True, now=later)
    assert listed and all(f.retention < 0.05 and "retention" in f.reason for f in listed)
    assert {n.id for n in memory.notes()} >= {f.record_id for f in listed}
    assert memory.forget(dry_run=True) == []  # nothing has faded yet


def test_forgetting_archives_notes_but_never_episodes(memory: Memory) -> None:
    (episode,) = memory.add("I adopted a greyhound named Pixel.", speaker="Ana")
    facts_before = memory.facts()
    gone = memory.forget(now=now() + timedelta(days=365))
    assert gone and memory.notes() == []
    archived = memory.notes(include_archived=True)
    assert {n.id for n in archived} == {f.record_id for f in gone}
    assert memory.get(episode.id).content == episode.content
    assert [h.id for h in memory.search("greyhound Pixel", reinforce=False)] == [episode.id]
    assert memory.facts() == facts_before
    note = archived[0]
    assert memory.history("note", note.id)[-1].action == "archive"
    restored = memory.unarchive(note.id)
    assert not restored.is_archived and note.id in {n.id for n in memory.notes()}
    with pytest.raises(InvalidInput):
        memory.unarchive(note.id)


def test_a_pinned_note_is_not_forgotten(memory: Memory) -> None:
    memory.add("My passport number ends in 4411.", speaker="Ana")
    (note,) = memory.notes()
    memory.pin(note.id)
    assert memory.forget(now=now() + timedelta(days=3650)) == []
    assert memory.retention(note.id, at=now() + timedelta(days=3650)) >= 0.5


def test_forgetting_exactly_the_ids_given(memory: Memory) -> None:
    memory.add(["I love pottery and hiking.", "I work at Acme."], speaker="Ana")
    first, second = memory.notes()
    (gone,) = memory.forget(ids=[first.id])
    assert gone.record_id == first.id and gone.reason == "asked"
    assert [n.id for n in memory.notes()] == [second.id]
    with pytest.raises(NotFound):
        memory.forget(ids=["no-such-note"])
    with pytest.raises(InvalidInput):
        memory.forget(threshold=1.5)
    with pytest.raises(InvalidInput):
        memory.strength(first.id, record_kind="fact")


def test_search_reinforces_what_it_returned(memory: Memory) -> None:
    memory.add("I adopted a greyhound named Pixel.", speaker="Ana")
    memory.add("The weather in Oslo is cold.", speaker="Bo")
    pixel = next(n for n in memory.notes() if "Pixel" in n.text)
    before = memory.strength(pixel.id)
    memory.search("greyhound", limit=1, reinforce=False)
    assert memory.strength(pixel.id).recalls == 0
    memory.search("greyhound", limit=1)
    after = memory.strength(pixel.id)
    assert after.recalls == 1 and after.stability_days > before.stability_days
    oslo = next(n for n in memory.notes() if "Oslo" in n.text)
    assert memory.strength(oslo.id).recalls == 0


def test_reinforcement_can_be_turned_off_for_fair_benchmarks(tmp_path: Path) -> None:
    settings = Settings.load({"MEMSTRATA_REINFORCE": "false"}, path=str(tmp_path / "m.db"))
    with Memory(settings=settings, embedder=HashEmbedder()) as memory:
        memory.add("I adopted a greyhound named Pixel.", speaker="Ana")
        memory.search("greyhound")
        assert all(memory.strength(n.id).recalls == 0 for n in memory.notes())


def test_forgetting_stays_in_its_namespace(memory: Memory) -> None:
    memory.add("I love pottery and hiking.", speaker="Ana", namespace="a")
    memory.add("I really enjoy jazz concerts on Fridays.", speaker="Bo", namespace="b")
    memory.forget(namespace="a", now=now() + timedelta(days=365))
    assert memory.notes(namespace="a") == [] and len(memory.notes(namespace="b")) == 1
    (pottery,) = memory.notes(namespace="a", include_archived=True)
    with pytest.raises(NotFound):
        memory.strength(pottery.id, namespace="b")


def test_buffered_recalls_are_written_by_close(tmp_path: Path) -> None:
    with Memory(tmp_path / "m.db", embedder=HashEmbedder()) as memory:
        memory.add("I adopted a greyhound named Pixel.", speaker="Ana")
        (note,) = memory.notes()
        memory.search("greyhound")
    with Memory(tmp_path / "m.db", embedder=HashEmbedder()) as memory:
        assert memory.strength(note.id).recalls == 1


def test_a_note_behind_a_fact_starts_more_important_than_small_talk(memory: Memory) -> None:
    memory.add("I moved to Lyon with my sister Maya.", speaker="Ana")
    memory.add("I went to a loud jazz concert on Friday.", speaker="Ana")
    moved = next(n for n in memory.notes() if "Lyon" in n.text)
    jazz = next(n for n in memory.notes() if "jazz" in n.text)
    assert memory.facts("Ana", "lives_in")
    assert memory.strength(moved.id).importance > memory.strength(jazz.id).importance
    assert memory.strength(moved.id).stability_days > memory.strength(jazz.id).stability_days
