"""Notes, entities and bi-temporal facts through the Memory API."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from memstrata import Memory, NotFound
from memstrata.extract.base import Extraction, Extractor
from memstrata.model import Episode, Fact
from memstrata.resolve.notes import NoteResolver
from memstrata.store.base import ChangeSet
from memstrata.store.sqlite.schema import m001_episodes
from memstrata.testing import HashEmbedder
from tests.conftest import T0, T1, T2


def test_contradiction_closes_old_fact(memory: Memory) -> None:
    memory.add("I live in Paris", occurred_at=T0)
    memory.add("I moved to Lyon", occurred_at=T1)
    old, new = memory.facts(subject="user", predicate="lives_in")
    assert old.object == "Paris" and new.object == "Lyon"
    assert old.invalid_at == T1 and new.invalid_at is None
    assert old.expired_at is None and old.episode_ids != new.episode_ids


def test_as_of_answers_what_was_true_then(memory: Memory) -> None:
    memory.add("I live in Paris", speaker="Ana", occurred_at=T0)
    memory.add("I moved to Lyon", speaker="Ana", occurred_at=T2)
    assert [f.object for f in memory.facts("Ana", "lives_in", as_of=T1)] == ["Paris"]
    assert [f.object for f in memory.facts("Ana", "lives_in", as_of=T2)] == ["Lyon"]
    assert memory.facts("Ana", "lives_in", as_of=datetime(2000, 1, 1, tzinfo=UTC)) == []


def test_a_correction_expires_the_old_fact(memory: Memory) -> None:
    memory.add("I live in Lyon", speaker="Ana", occurred_at=T0)
    memory.add("Actually, I live in Marseille, not Lyon.", speaker="Ana", occurred_at=T1)
    lyon, _marseille = memory.facts("Ana", "lives_in")
    assert lyon.expired_at is not None and lyon.invalid_at is None
    assert [f.object for f in memory.facts("Ana", "lives_in", as_of=T1)] == ["Marseille"]
    # the value meant holds from when the one taken back began: she lived in
    # Marseille when she said Lyon
    assert [f.object for f in memory.facts("Ana", "lives_in", as_of=T0)] == ["Marseille"]
    believed = memory.facts("Ana", "lives_in", known_at=lyon.created_at)
    assert [f.object for f in believed] == ["Lyon"]
    assert [h.action for h in memory.history("fact", lyon.id)] == ["create", "expire"]


def test_a_corrected_value_said_with_its_own_start_keeps_it(memory: Memory) -> None:
    memory.add("I live in Lyon", speaker="Ana", occurred_at=T0)
    memory.add(
        "Actually, I've lived in Marseille since 2019, not Lyon.", speaker="Ana", occurred_at=T1
    )
    current = [f for f in memory.facts("Ana", "lives_in") if f.expired_at is None]
    assert [(f.object, f.valid_at.year) for f in current] == [("Marseille", 2019)]


def test_a_shortened_name_restates_the_fact(memory: Memory) -> None:
    memory.add("I work at Brennan Tiles now", speaker="Ana", occurred_at=T0)
    memory.add("as I said, I'm at Brennan, same team", speaker="Ana", occurred_at=T1)
    (fact,) = memory.facts("Ana", "works_at")
    assert fact.object == "Brennan Tiles" and fact.invalid_at is None
    assert len(fact.episode_ids) == 2


def test_a_correction_of_the_day_re_dates_the_event(memory: Memory) -> None:
    thursday = datetime(2023, 5, 11, 15, 0, tzinfo=UTC)
    said = memory.add(
        "I went to Lyon on Monday with my sister Eva.", speaker="Ana", occurred_at=thursday
    )
    fix = memory.add(
        "Actually it was Tuesday, not Monday.",
        speaker="Ana",
        occurred_at=T0.replace(day=11, hour=15, minute=2),
    )
    wrong, right = memory.facts("Ana", "visited")
    assert wrong.valid_at == datetime(2023, 5, 8, tzinfo=UTC) and wrong.expired_at is not None
    assert right.valid_at == datetime(2023, 5, 9, tzinfo=UTC) and right.expired_at is None
    assert right.episode_ids == (said[0].id, fix[0].id)
    assert [h.action for h in memory.history("fact", wrong.id)] == ["create", "expire"]
    (sister,) = memory.facts("Ana", "has_sister")
    assert sister.expired_at is None  # only the dated happening is amended
    (stated,) = [n for n in memory.notes() if "Lyon" in n.text]
    assert [h.action for h in memory.history("note", stated.id)] == ["create", "correct"]


def test_a_correction_naming_someone_else_replaces_the_object(memory: Memory) -> None:
    memory.add("I met Clara at the market.", speaker="Ana", occurred_at=T0)
    memory.add("I moved to Lyon.", speaker="Ana", occurred_at=T0.replace(minute=57))
    memory.add("Sorry, I meant Chloe, not Clara.", speaker="Ana", occurred_at=T1)
    clara, chloe = memory.facts("Ana", "met")
    assert (clara.object, chloe.object) == ("Clara", "Chloe")
    assert clara.expired_at is not None and chloe.expired_at is None
    assert chloe.valid_at == clara.valid_at
    (lyon,) = memory.facts("Ana", "lives_in")
    assert lyon.expired_at is None  # "not Clara" picked the fact that is meant
    assert [f.subject for f in memory.neighbors("Chloe")] == ["Ana"]


def test_a_correction_in_the_same_add_as_its_fact_is_resolved_in_one_pass(
    memory: Memory, caplog: pytest.LogCaptureFixture
) -> None:
    memory.add(  # the corrected object (Lyon) is an entity of the same, unstored pass
        [
            {"content": "I moved to Lyon last week.", "speaker": "Ana"},
            {"content": "Sorry, I meant Porto, not Lyon.", "speaker": "Ana"},
        ],
        occurred_at=T0,
    )
    lyon, porto = sorted(memory.facts("Ana", "lives_in"), key=lambda f: f.object != "Lyon")
    assert (lyon.object, porto.object) == ("Lyon", "Porto")
    assert lyon.expired_at is not None and porto.expired_at is None
    assert "failed" not in caplog.text  # no batch failed and was retried one by one


def test_a_correction_with_nothing_to_amend_changes_nothing(memory: Memory) -> None:
    memory.add("Actually it was Tuesday.", speaker="Ana", occurred_at=T0)
    memory.add("I live in Lyon", speaker="Ana", occurred_at=T1)
    memory.add("Actually it was Friday.", speaker="Ana", occurred_at=T2)
    (lyon,) = memory.facts("Ana")
    assert lyon.object == "Lyon" and lyon.expired_at is None


def test_an_older_statement_does_not_override_the_current_fact(memory: Memory) -> None:
    memory.add("I work at Acme Corp", speaker="Ana", occurred_at=T2)
    memory.add("I work at Globex", speaker="Ana", occurred_at=T0)
    facts = {f.object: f for f in memory.facts("Ana", "works_at")}
    assert facts["Acme Corp"].invalid_at is None
    assert facts["Globex"].invalid_at == T2
    assert [f.object for f in memory.facts("Ana", "works_at", as_of=T1)] == ["Globex"]


def test_repeated_statements_reinforce_one_fact_with_both_sources(memory: Memory) -> None:
    first = memory.add("I'm allergic to peanuts.", speaker="Ana", occurred_at=T0)
    second = memory.add("I am allergic to peanuts!", speaker="Ana", occurred_at=T1)
    (fact,) = memory.facts("Ana", "allergic_to")
    assert set(fact.episode_ids) == {first[0].id, second[0].id}
    assert [h.action for h in memory.history("fact", fact.id)] == ["create", "reinforce"]


def test_multi_valued_predicates_accumulate(memory: Memory) -> None:
    memory.add(["I love hiking.", "I love jazz."], speaker="Ana")
    assert sorted(f.object for f in memory.facts("Ana", "likes")) == ["hiking", "jazz"]


def test_a_break_up_ends_the_partner_fact(memory: Memory) -> None:
    memory.add("I'm dating Leo.", speaker="Ana", occurred_at=T0)
    memory.add("I broke up with Leo.", speaker="Ana", occurred_at=T1)
    (partner,) = memory.facts("Ana", "dating")
    assert partner.object == "Leo" and partner.invalid_at == T1
    (status,) = memory.facts("Ana", "relationship_status", as_of=T2)
    assert status.object == "single"


def test_entities_resolve_names_aliases_and_spellings(memory: Memory) -> None:
    memory.add("I started a new job at Boulangerie Martin.", speaker="Ana", occurred_at=T0)
    memory.add("I work at Boulangerie Martins now.", speaker="Ana", occurred_at=T1)
    (fact,) = memory.facts("Ana", "works_at")
    assert fact.object == "Boulangerie Martin"
    (bakery,) = [e for e in memory.entities() if e.name == "Boulangerie Martin"]
    assert bakery.aliases == ("Boulangerie Martins",)
    assert len(memory.entities(kind="person")) == 1


def test_dates_are_entities_matched_exactly(memory: Memory) -> None:
    memory.add("I went hiking yesterday.", speaker="Ana", occurred_at=T0)
    memory.add("Jo called me yesterday.", speaker="Ana", occurred_at=T0.replace(day=9))
    memory.add("We had lunch on May 8, 2023.", speaker="Ana", occurred_at=T1)
    dates = sorted(e.name for e in memory.entities(kind="date"))
    assert dates == ["2023-05-07", "2023-05-08"]
    (may8,) = [e for e in memory.entities(kind="date") if e.name == "2023-05-08"]
    assert len(may8.episode_ids) == 2


def test_a_capitalised_first_word_only_mentions_a_known_entity(memory: Memory) -> None:
    adopted = memory.add("I adopted a puppy named Biscuit!", speaker="Ana", occurred_at=T0)
    chewed = memory.add("Biscuit chewed my shoes.", speaker="Ana", occurred_at=T1)
    memory.add("Cooking relaxes me a lot.", speaker="Ana", occurred_at=T2)
    names = {e.name: e for e in memory.entities()}
    assert set(names["Biscuit"].episode_ids) == {adopted[0].id, chewed[0].id}
    assert "Cooking" not in names


def test_timeline_and_neighbors(memory: Memory) -> None:
    memory.add("My sister Anna is visiting.", speaker="Ana", occurred_at=T0)
    memory.add("Anna lives in Berlin.", speaker="Ana", occurred_at=T1)
    assert [f.predicate for f in memory.timeline("Anna")] == ["has_sister", "lives_in"]
    one_hop = memory.neighbors("Ana")
    two_hops = memory.neighbors("Ana", depth=2)
    assert [f.object for f in one_hop] == ["Anna"]
    assert sorted(f.object for f in two_hops) == ["Anna", "Berlin"]
    with pytest.raises(NotFound):
        memory.timeline("Nobody")


def test_notes_are_distilled_and_merged(memory: Memory) -> None:
    first = memory.add("I love green tea in the morning.", speaker="Ana")
    again = memory.add("I love green tea in the morning!", speaker="Ana")
    (note,) = memory.notes(kind="preference")
    assert note.text == "Ana loves green tea in the morning."
    assert set(note.episode_ids) == {first[0].id, again[0].id}
    assert "green" in note.keywords


def test_structure_never_crosses_namespaces(memory: Memory) -> None:
    memory.add("I live in Paris", speaker="Ana", namespace="a")
    assert memory.facts("Ana", namespace="b") == []
    assert memory.entities(namespace="b") == []
    assert memory.notes(namespace="b") == []


def test_purge_removes_what_rests_only_on_the_episode(memory: Memory) -> None:
    (kept,) = memory.add("I live in Paris", speaker="Ana", occurred_at=T0)
    (gone,) = memory.add("I'm allergic to cats.", speaker="Ana", occurred_at=T1)
    memory.purge(gone.id)
    assert memory.facts("Ana", "allergic_to") == []
    assert [f.object for f in memory.facts("Ana")] == ["Paris"]
    assert all(gone.id not in n.episode_ids for n in memory.notes())
    memory.purge(kept.id)
    assert memory.entities() == []


class Exploding:
    name = "exploding"

    def extract(self, episodes: Sequence[Episode]) -> Extraction:
        raise RuntimeError("extractor bug")


def test_a_failing_extractor_never_loses_the_episode(memory: Memory) -> None:
    working = memory.extractor
    memory.extractor = Exploding()
    (episode,) = memory.add("I live in Paris", speaker="Ana")
    assert memory.get(episode.id).content == "I live in Paris"
    assert memory.facts("Ana") == []
    memory.extractor = working
    memory.flush()
    assert [f.object for f in memory.facts("Ana")] == ["Paris"]


class PickyExtractor:
    """Fails on one message, works on the others."""

    name = "picky"

    def __init__(self, working: Extractor) -> None:
        self.working = working

    def extract(self, episodes: Sequence[Episode]) -> Extraction:
        if any("poison" in e.content for e in episodes):
            raise RuntimeError("extractor bug")
        return self.working.extract(episodes)


def test_extraction_failures_are_reported_counted_and_logged(
    memory: Memory, caplog: pytest.LogCaptureFixture
) -> None:
    assert memory.extractor is not None
    working = memory.extractor
    memory.extractor = PickyExtractor(working)
    added = memory.add(["I live in Paris", "poison pill"], speaker="Ana")
    assert added.extraction_failed == (added[1].id,)
    assert [f.object for f in memory.facts("Ana")] == ["Paris"]  # the rest was extracted
    (stats,) = memory.stats().namespaces
    assert stats.extraction_failed == 1 and stats.queued_for_extraction == 1
    assert any(r.exc_info and "extractor bug" in str(r.exc_info[1]) for r in caplog.records)
    assert memory.add("I moved to Lyon", speaker="Ana").extraction_failed == ()
    memory.extractor = working
    memory.flush()
    (stats,) = memory.stats().namespaces
    assert stats.extraction_failed == 0 and stats.queued_for_extraction == 0


def test_extraction_can_be_turned_off(tmp_path: Path) -> None:
    from memstrata import Settings

    settings = Settings.load({}, path=str(tmp_path / "m.db"), extractor="none")
    with Memory(settings=settings, embedder=HashEmbedder()) as mem:
        mem.add("I live in Paris", speaker="Ana")
        assert mem.facts() == [] and mem.entities() == []


def test_a_schema_1_store_opens_and_backfills_on_flush(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    m001_episodes(conn)
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO namespaces VALUES ('default', 1)")
    conn.execute(
        "INSERT INTO episodes(episode_id, namespace, speaker, content, terms, occurred_at, "
        "recorded_at) VALUES ('old-1', 'default', 'Ana', 'I live in Paris', 'ana live pari', "
        "1685000000000000, 1685000000000000)"
    )
    conn.execute("INSERT INTO changes(namespace, seq, op) VALUES ('default', 1, 'add')")
    conn.close()
    with Memory(path, embedder=HashEmbedder()) as mem:
        assert mem.get("old-1").content == "I live in Paris"
        assert mem.flush() == 1  # the missing vector
        assert [f.object for f in mem.facts("Ana")] == ["Paris"]
        assert mem.search("Paris")[0].id == "old-1"


def test_later_news_about_a_recent_change_supersedes(memory: Memory) -> None:
    said = datetime(2023, 2, 8, 13, 0, tzinfo=UTC)
    memory.add("Sofia lives in Paris.", speaker="Ana", occurred_at=said)
    memory.add(
        "Sofia moved to Prague last week.",
        speaker="Ana",
        occurred_at=datetime(2023, 2, 16, 20, 0, tzinfo=UTC),
    )
    (current,) = memory.facts("Sofia", "lives_in", as_of=datetime(2023, 2, 20, tzinfo=UTC))
    assert current.object == "Prague"
    (paris,) = [f for f in memory.facts("Sofia", "lives_in") if f.object == "Paris"]
    assert paris.invalid_at == said


def test_new_notes_link_to_related_ones_which_evolve(memory: Memory) -> None:
    memory.add("I love hiking in the Alps.", speaker="Ana", occurred_at=T0)
    memory.add("I went to a pottery class downtown.", speaker="Ana", occurred_at=T1)
    memory.add("I went hiking in the Alps with Anna.", speaker="Ana", occurred_at=T2)
    first, pottery, latest = memory.notes()
    assert latest.links == (first.id,) and first.links == (latest.id,)
    assert pottery.links == ()
    assert latest.tags == ("alps", "anna") and first.tags == ("alps", "anna")
    actions = [(h.action, h.reason) for h in memory.history("note", first.id)]
    assert actions[-1] == ("evolve", f"tags anna from linked note {latest.id}")
    link = [h for h in memory.history("note", latest.id) if h.action == "link"]
    assert link and "shares" in link[0].reason and "alp" in link[0].reason


def test_near_duplicate_phrasings_merge_but_different_notes_do_not(memory: Memory) -> None:
    first = memory.add("I love green tea in the morning.", speaker="Ana", occurred_at=T0)
    again = memory.add("In the morning I really love green tea!", speaker="Ana", occurred_at=T1)
    memory.add("I love black coffee in the evening.", speaker="Ana", occurred_at=T2)
    tea, coffee = memory.notes(kind="preference")
    assert set(tea.episode_ids) == {first[0].id, again[0].id}
    assert "coffee" in coffee.text
    (merge,) = [h for h in memory.history("note", tea.id) if h.action == "merge"]
    assert "near-duplicate" in merge.reason


def test_a_correction_linked_from_a_note_read_as_a_reference(tmp_path: Path) -> None:
    """Resolution reads related notes without their sources; linking a correction
    from such a note must not need them (it once raised IndexError, and the
    episode stayed queued, failing again on every add)."""
    with Memory(tmp_path / "m.db", embedder=HashEmbedder()) as memory:
        (said,) = memory.add("I live in Berlin near the old harbour.", speaker="Ana")
        (stated,) = memory.notes()
        ref = replace(stated, id="n-ref", episode_ids=())  # as related_notes returns it
        wrong = Fact(
            "f1",
            "default",
            "e1",
            "Ana",
            "lives_in",
            "Berlin",
            None,
            "Ana lives in Berlin near the old harbour.",
            T0,
            None,
            T0,
            None,
            (said.id,),
        )
        changes = ChangeSet()
        NoteResolver(memory.store.structure, "default", T0).link_correction(
            ref, wrong, changes, "e-correcting"
        )
        assert [h[4] for h in changes.history if h[2] == "correct"] == [("e-correcting",)]


def test_a_corrected_weekday_falls_near_the_day_it_corrects(memory: Memory) -> None:
    """'I started on Thursday' said on a Sunday, then 'it was Wednesday, not Thursday'
    nine days later: the Wednesday before that Thursday, not the latest one."""
    sunday = datetime(2024, 9, 8, 10, tzinfo=UTC)
    memory.add("I started at Corvane Labs on Thursday", speaker="Ana", occurred_at=sunday)
    later = datetime(2024, 9, 17, 10, tzinfo=UTC)
    memory.add("small correction: it was Wednesday, not Thursday", speaker="Ana", occurred_at=later)
    (current,) = [f for f in memory.facts("Ana", "works_at") if f.expired_at is None]
    assert current.valid_at == datetime(2024, 9, 4, tzinfo=UTC)


def test_a_misheard_name_is_retracted_for_the_right_one(memory: Memory) -> None:
    memory.add("My new manager, Henrik, wants daily notes", speaker="Ana", occurred_at=T0)
    memory.add("oh and her name is Henrika, not Henrik, I misheard", speaker="Ana", occurred_at=T1)
    facts = {f.object: f for f in memory.facts("Ana", "has_boss")}
    assert facts["Henrik"].expired_at is not None and facts["Henrik"].invalid_at is None
    assert facts["Henrika"].expired_at is None and facts["Henrika"].valid_at == T0


def test_a_liking_dated_coarsely_still_ends_the_dislike_said_before(memory: Memory) -> None:
    """'got into jazz over the summer', said in autumn, begins on 1 June: before the
    evening in June the dislike was said, yet it is news of a change."""
    memory.add(
        "I can't stand jazz", speaker="Ana", occurred_at=datetime(2023, 6, 1, 19, tzinfo=UTC)
    )
    memory.add(
        "my sister got me into jazz over the summer and now I love it",
        speaker="Ana",
        occurred_at=datetime(2023, 10, 25, 9, tzinfo=UTC),
    )
    (dislike,) = memory.facts("Ana", "dislikes")
    assert dislike.invalid_at is not None and dislike.expired_at is None
