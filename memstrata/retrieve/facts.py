"""Selecting facts in time, and walking the fact graph."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from memstrata.model import Fact


def select_facts(
    facts: Sequence[Fact], *, as_of: datetime | None = None, known_at: datetime | None = None
) -> list[Fact]:
    """Facts true in the world at ``as_of`` and/or held by memstrata at ``known_at``.

    ``as_of`` alone judges by what memstrata believes now, so retracted facts
    are left out. With ``known_at`` too, it judges by what was believed then.
    (An interval closed after ``known_at`` shows as closed: the closing time
    is not kept per fact; the history log has it.)
    """
    out = []
    for fact in facts:
        if known_at is not None and not fact.was_believed_at(known_at):
            continue
        if as_of is not None:
            if known_at is None and fact.expired_at is not None:
                continue
            if as_of < fact.valid_at or (fact.invalid_at is not None and as_of >= fact.invalid_at):
                continue
        out.append(fact)
    return out


def walk_facts(
    facts_of: Callable[[str], list[Fact]], start: str, depth: int, at: datetime
) -> list[Fact]:
    """Breadth-first over facts valid at ``at``, out to ``depth`` hops from ``start``."""
    seen_entities, seen_facts = {start}, set()
    frontier, found = [start], []
    for _ in range(depth):
        following = []
        for entity_id in frontier:
            for fact in facts_of(entity_id):
                if fact.id in seen_facts or not fact.is_valid_at(at):
                    continue
                seen_facts.add(fact.id)
                found.append(fact)
                for other in (fact.subject_id, fact.object_id):
                    if other is not None and other not in seen_entities:
                        seen_entities.add(other)
                        following.append(other)
        frontier = following
    return found
