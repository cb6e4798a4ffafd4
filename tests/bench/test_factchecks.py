"""The fact-scenario check grammar, on facts made here."""

from __future__ import annotations

from datetime import UTC, datetime

from memstrata.bench.factchecks import KeptFact, passes

NOW = datetime(2024, 6, 1, tzinfo=UTC)


def fact(
    obj: str,
    valid: str,
    invalid: str | None = None,
    *,
    predicate: str = "lives_in",
    expired: bool = False,
) -> KeptFact:
    def day(text: str) -> datetime:
        return datetime.fromisoformat(text).replace(tzinfo=UTC)

    return KeptFact(
        "Ana",
        predicate,
        obj,
        day(valid),
        None if invalid is None else day(invalid),
        NOW if expired else None,
    )


def test_absent_passes_on_nothing_and_a_note_is_only_an_explanation() -> None:
    facts = [fact("Lyon", "2024-01-01")]
    assert passes({"absent": True, "object_contains": "Kyoto"}, facts, NOW)
    explained = {"absent": True, "object_contains": "Kyoto", "note": "a holiday"}
    assert passes(explained, facts, NOW)
    assert not passes({"absent": True, "object_contains": "Lyon", "note": "x"}, facts, NOW)


def test_a_closed_fact_is_not_current_but_held_on_its_days() -> None:
    facts = [fact("Leeds", "2023-01-01", "2023-06-17"), fact("Bristol", "2023-06-17")]
    assert passes({"object_contains": "Leeds", "current": False}, facts, NOW)
    assert passes({"object_contains": "Leeds", "holds_on": "2023-03-01"}, facts, NOW)
    assert not passes({"object_contains": "Leeds", "holds_on": "2023-07-01"}, facts, NOW)
    assert passes(
        {"object_contains": "Leeds", "invalid_after": "2023-06-10", "invalid_before": "2023-06-24"},
        facts,
        NOW,
    )


def test_a_retracted_fact_holds_on_no_day_and_a_deleted_one_fails() -> None:
    facts = [fact("Gerrit", "2024-01-09", predicate="has_boss", expired=True)]
    assert passes({"object_contains": "Gerrit", "current": False}, facts, NOW)
    assert passes({"object_contains": "Gerrit", "not_holds_on": "2024-01-16"}, facts, NOW)
    assert not passes({"object_contains": "Gerrit", "current": False}, [], NOW)


def test_non_states_are_skipped_and_plurals_and_accents_fold() -> None:
    facts = [fact("Oslo", "2024-01-01", predicate="never_lived_in"), fact("cashews", "2024-01-01")]
    assert passes({"absent": True, "object_contains": "Oslo"}, facts, NOW)
    assert passes({"object_contains": "cashew", "count_max": 1}, facts, NOW)
    assert passes(
        {"object_contains": "Montreal", "current": True}, [fact("Montréal", "2024-01-01")], NOW
    )
    assert passes(
        {"any_of": [{"object_contains": "Nowhere", "current": True}, {"object_contains": "Oslo"}]},
        facts,
        NOW,
    )
