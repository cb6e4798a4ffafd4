"""Facts: add, reinforce, close or expire, never delete.

For a single-valued predicate, a new value closes the open fact's interval at
the new fact's ``valid_at``. A correction ("actually ...") expires the old
fact instead: memstrata stops believing it was ever true. A statement older
than the current fact is kept as history, closed where the current one begins.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from memstrata.extract.base import FactDraft
from memstrata.extract.patterns import SINGLE_VALUED
from memstrata.model import Entity, Fact
from memstrata.resolve.entities import normalise
from memstrata.store.base import ChangeSet, StructureStore

# A new value of one predicate also ends the open facts of others.
ENDS = {
    ("relationship_status", "single"): "has_partner",
    ("relationship_status", "divorced"): "has_partner",
    ("relationship_status", "separated"): "has_partner",
    ("relationship_status", "widowed"): "has_partner",
}


# How far before the current fact a later statement's coarse time ("last week",
# "last month") may reach and still count as news rather than history.
NEWS_TOLERANCE = timedelta(days=31)


def _news(draft: FactDraft, old: Fact) -> bool:
    """Said after the current fact began, about a time just before it: a change."""
    return (
        draft.stated_at is not None
        and draft.stated_at > old.valid_at
        and old.valid_at - draft.valid_at <= NEWS_TOLERANCE
    )


class FactResolver:
    def __init__(self, store: StructureStore, namespace: str, now: datetime) -> None:
        self._store = store
        self._namespace = namespace
        self._now = now
        self._open: dict[tuple[str, str], list[Fact]] = {}

    def _current(self, subject_id: str, predicate: str) -> list[Fact]:
        key = (subject_id, predicate)
        if key not in self._open:
            stored = self._store.facts(self._namespace, subject_id=subject_id, predicate=predicate)
            self._open[key] = [f for f in stored if f.invalid_at is None and f.expired_at is None]
        return self._open[key]

    def resolve(
        self, draft: FactDraft, subject: Entity, obj: Entity | None, changes: ChangeSet
    ) -> None:
        current = self._current(subject.id, draft.predicate)
        wanted = normalise(draft.object)
        for fact in current:
            same = fact.object_id == obj.id if obj is not None else normalise(fact.object) == wanted
            if same:
                changes.sources.append(("fact", fact.id, draft.episode_id))
                changes.history.append(
                    ("fact", fact.id, "reinforce", "stated again", (draft.episode_id,))
                )
                return
        new_id = uuid.uuid4().hex
        invalid_at: datetime | None = None
        valid_at = draft.valid_at
        if draft.predicate in SINGLE_VALUED:
            for old in list(current):
                if draft.correction:
                    self._expire(old, new_id, draft.episode_id, changes)
                elif old.valid_at <= draft.valid_at or _news(draft, old):
                    valid_at = max(valid_at, old.valid_at)
                    self._close(old, valid_at, new_id, draft.episode_id, changes)
                else:  # said earlier about an earlier time: history; the current fact stays
                    invalid_at = (
                        old.valid_at if invalid_at is None else min(invalid_at, old.valid_at)
                    )
        ended = ENDS.get((draft.predicate, draft.object))
        if ended is not None:
            for old in list(self._current(subject.id, ended)):
                if old.valid_at <= draft.valid_at:
                    self._close(old, draft.valid_at, new_id, draft.episode_id, changes)
        fact = Fact(
            id=new_id,
            namespace=self._namespace,
            subject_id=subject.id,
            subject=subject.name,
            predicate=draft.predicate,
            object=obj.name if obj is not None else draft.object,
            object_id=None if obj is None else obj.id,
            statement=draft.statement,
            valid_at=valid_at,
            invalid_at=invalid_at,
            created_at=self._now,
            expired_at=None,
            episode_ids=(draft.episode_id,),
        )
        changes.facts.append(fact)
        changes.sources.append(("fact", fact.id, draft.episode_id))
        changes.history.append(("fact", fact.id, "create", "extracted", (draft.episode_id,)))
        if invalid_at is None:
            current.append(fact)

    def _close(self, old: Fact, at: datetime, by: str, episode_id: str, changes: ChangeSet) -> None:
        changes.closed.append((old.id, at))
        changes.history.append(("fact", old.id, "close", f"superseded by fact {by}", (episode_id,)))
        self._drop(old)

    def _expire(self, old: Fact, by: str, episode_id: str, changes: ChangeSet) -> None:
        changes.expired.append((old.id, self._now))
        changes.history.append(("fact", old.id, "expire", f"corrected by fact {by}", (episode_id,)))
        self._drop(old)

    def _drop(self, old: Fact) -> None:
        key = (old.subject_id, old.predicate)
        self._open[key] = [f for f in self._open.get(key, []) if f.id != old.id]
