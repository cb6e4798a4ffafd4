"""Facts: add, reinforce, close or expire, never delete.

For a single-valued predicate, a new value closes the open fact's interval at
the new fact's ``valid_at``. A correction ("actually ...") expires the old
fact instead: memstrata stops believing it was ever true, and an undated
corrected value holds from when the value it replaces began. A statement older
than the current fact is kept as history, closed where the current one begins.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timedelta

from memstrata.extract.base import CorrectionDraft, FactDraft
from memstrata.extract.frames import PARTNER_PREDICATES
from memstrata.extract.patterns import EVENTS, SINGLE_VALUED
from memstrata.extract.timeexpr import resolve as resolve_times
from memstrata.model import Entity, Fact
from memstrata.resolve.entities import EntityResolver, normalise
from memstrata.store.base import ChangeSet, EpisodeStore, StructureStore

# A new value of one predicate also ends the open facts of others.
_ALL_PARTNERS = (*PARTNER_PREDICATES, "has_partner")
ENDS = {
    ("relationship_status", "single"): _ALL_PARTNERS,
    ("relationship_status", "divorced"): _ALL_PARTNERS,
    ("relationship_status", "separated"): _ALL_PARTNERS,
    ("relationship_status", "widowed"): _ALL_PARTNERS,
}
# Predicates that hold one value at a time together: being engaged to someone
# ends when marrying them, and a new partner ends the old one.
GROUPS = {predicate: PARTNER_PREDICATES for predicate in PARTNER_PREDICATES}
# What an ending with no object closes besides the predicate's own facts.
ALSO_ENDED = {"works_at": ("job",)}
# What an ending of something named closes when its own predicate holds no such value.
_ENDABLE = ("lives_in", "works_at", "also_works_at", "likes", *PARTNER_PREDICATES)
# A liking and a dislike of the same thing cannot both hold.
OPPOSITES = {"likes": "dislikes", "dislikes": "likes"}
# Nouns that name the kind of a taste, not another taste: "horror films" is "horror".
_KIND_NOUNS = frozenset(
    "film films movie movies music song songs show shows series book books novel novels "
    "game games food foods dish dishes".split()
)


def same_taste(a: str, b: str) -> bool:
    """Two normalised tastes that are one: equal, or one is the other and a noun
    of its kind ("horror" and "horror films")."""
    if a == b:
        return True
    shorter, longer = sorted((a.split(), b.split()), key=len)
    extra = list(longer)
    for word in shorter:
        if word not in extra:
            return False
        extra.remove(word)
    return bool(shorter) and all(w in _KIND_NOUNS for w in extra)


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


def _dated(fact: Fact) -> bool:
    """Whether the statement of a fact said when it happened ('started on Monday')."""
    return bool(resolve_times(fact.statement, fact.created_at))


def _weekday_before(said_at: datetime, weekday: int) -> datetime:
    """The day a corrected weekday names, read as the statement it corrects would have
    read it: the latest such day on or before that statement ('I started on Monday'
    said on Saturday 16 March, 'it was Tuesday, not Monday' a week later: 12 March)."""
    day = said_at.replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=(day.weekday() - weekday) % 7)


def _same_name(held: str, said: str) -> bool:
    """'kowhai' ends 'kowhai media': a shortened name is the same one."""
    if held == said:
        return True
    shorter, longer = sorted((held.split(), said.split()), key=len)
    return bool(shorter) and longer[: len(shorter)] == shorter


class FactResolver:
    def __init__(
        self,
        store: StructureStore,
        namespace: str,
        now: datetime,
        episodes: EpisodeStore | None = None,
    ) -> None:
        self._store = store
        self._namespace = namespace
        self._now = now
        self._episodes = episodes  # when a stored fact was said
        self._open: dict[tuple[str, str], list[Fact]] = {}
        # Facts made in this pass, in order, with when they were said.
        self._made: list[tuple[Fact, datetime]] = []
        self._expired: list[tuple[str, datetime]] = []

    def _current(self, subject_id: str, predicate: str) -> list[Fact]:
        key = (subject_id, predicate)
        if key not in self._open:
            stored = self._store.facts(self._namespace, subject_id=subject_id, predicate=predicate)
            self._open[key] = [f for f in stored if f.invalid_at is None and f.expired_at is None]
        return self._open[key]

    def _group(self, subject_id: str, predicate: str) -> list[Fact]:
        """The open facts of the predicate and of those it holds one value with."""
        group = GROUPS.get(predicate, (predicate,))
        return [fact for p in group for fact in self._current(subject_id, p)]

    def resolve(
        self, draft: FactDraft, subject: Entity, obj: Entity | None, changes: ChangeSet
    ) -> None:
        if obj is not None and obj.id == subject.id:
            return  # "Caroline works_at Caroline": a misread, nothing holds of itself
        if draft.effect == "end":
            self._end(draft, subject, obj, changes)
            return
        if not draft.object:
            draft = self._last_object(draft, subject)
            if not draft.object:
                return
        current = self._current(subject.id, draft.predicate)
        wanted = normalise(draft.object)
        for fact in current:
            if obj is None:
                same = normalise(fact.object) == wanted
            else:  # "I'm at Mavi" after "Mavi Textiles": the name shortened
                same = fact.object_id == obj.id or _same_name(normalise(fact.object), wanted)
            if same:
                changes.sources.append(("fact", fact.id, draft.episode_id))
                changes.history.append(
                    ("fact", fact.id, "reinforce", "stated again", (draft.episode_id,))
                )
                return
        new_id = uuid.uuid4().hex
        invalid_at: datetime | None = None
        valid_at = draft.valid_at
        undated = draft.stated_at is not None and draft.valid_at == draft.stated_at
        meant: list[datetime] = []  # when the facts a correction takes back began
        if draft.predicate in SINGLE_VALUED or draft.predicate in GROUPS:
            for old in self._group(subject.id, draft.predicate):
                if draft.correction:
                    self._expire(old, new_id, draft.episode_id, changes)
                    if undated and old.invalid_at is None:
                        meant.append(old.valid_at)
                elif old.valid_at <= draft.valid_at or _news(draft, old):
                    valid_at = max(valid_at, old.valid_at)
                    self._close(old, valid_at, new_id, draft.episode_id, changes)
                else:  # said earlier about an earlier time: history; the current fact stays
                    invalid_at = (
                        old.valid_at if invalid_at is None else min(invalid_at, old.valid_at)
                    )
        if meant:  # "I'm at Cedarline Labs, not Cedarline Health": it was always Labs
            valid_at = min(meant)
        ended: tuple[str, ...] = ENDS.get((draft.predicate, draft.object), ())
        if draft.predicate in OPPOSITES:
            ended = (OPPOSITES[draft.predicate],)
        for predicate in ended:
            for old in list(self._current(subject.id, predicate)):
                if predicate in OPPOSITES and not same_taste(normalise(old.object), wanted):
                    continue
                if old.valid_at <= draft.valid_at or _news(draft, old):
                    at = max(draft.valid_at, old.valid_at)
                    self._close(old, at, new_id, draft.episode_id, changes)
        fact = self._fact(new_id, draft, subject, obj, valid_at, invalid_at)
        self._add(fact, draft.stated_at or draft.valid_at, "extracted", draft.episode_id, changes)
        if invalid_at is None:
            self._current(subject.id, draft.predicate).append(fact)  # _drop rebinds the list

    def _end(
        self, draft: FactDraft, subject: Entity, obj: Entity | None, changes: ChangeSet
    ) -> None:
        """Close the subject's open facts that the ending names (all of the predicate
        when it names no object); an ending of something never stated keeps it as a
        state that is over."""
        wanted = normalise(draft.object)
        open_facts = self._group(subject.id, draft.predicate)
        if not draft.object:
            for also in ALSO_ENDED.get(draft.predicate, ()):
                open_facts += self._current(subject.id, also)
        targets = [
            f
            for f in open_facts
            if not draft.object
            or (obj is not None and f.object_id == obj.id)
            or _same_name(normalise(f.object), wanted)
        ]
        if not targets and draft.object:  # "left Beit Shemesh": whatever held that value
            targets = [
                f
                for p in _ENDABLE
                for f in self._current(subject.id, p)
                if _same_name(normalise(f.object), wanted)
            ]
        for old in targets:
            at = max(draft.valid_at, old.valid_at)
            self._close(old, at, f"ended: {draft.statement}", draft.episode_id, changes)
        if targets or not draft.object:
            return
        began = draft.valid_at
        if draft.stated_at is not None and draft.stated_at < began:
            began = draft.stated_at  # "my last day at X is Friday": it holds until then
        fact = self._fact(uuid.uuid4().hex, draft, subject, obj, began, draft.valid_at)
        self._add(fact, draft.stated_at or draft.valid_at, "extracted", draft.episode_id, changes)

    def _fact(
        self,
        fact_id: str,
        draft: FactDraft,
        subject: Entity,
        obj: Entity | None,
        valid_at: datetime,
        invalid_at: datetime | None,
    ) -> Fact:
        """The fact a draft states, true from ``valid_at`` until ``invalid_at``."""
        return Fact(
            id=fact_id,
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

    def _last_object(self, draft: FactDraft, subject: Entity) -> FactDraft:
        """A state named by no object ("we got married", "back together") is about the
        subject's latest value of the group: their partner."""
        if draft.predicate not in GROUPS:
            return draft
        group = GROUPS[draft.predicate]
        stored = [
            f
            for p in group
            for f in self._store.facts(self._namespace, subject_id=subject.id, predicate=p)
            if f.expired_at is None
        ]
        made = [f for f, _ in self._made if f.subject_id == subject.id and f.predicate in group]
        latest = max([*stored, *made], key=lambda f: f.valid_at, default=None)
        return draft if latest is None else replace(draft, object=latest.object)

    def _add(
        self, fact: Fact, stated_at: datetime, reason: str, episode_id: str, changes: ChangeSet
    ) -> None:
        changes.facts.append(fact)
        for source in fact.episode_ids:
            changes.sources.append(("fact", fact.id, source))
        changes.history.append(("fact", fact.id, "create", reason, (episode_id,)))
        self._made.append((fact, stated_at))

    def correct(
        self,
        draft: CorrectionDraft,
        subject: Entity,
        entities: EntityResolver,
        changes: ChangeSet,
    ) -> tuple[Fact, Fact] | None:
        """Amend the subject's latest fact said before the correction: expire it and
        state it again re-dated or with the corrected value. Returns (old, new)."""
        target = self._latest(subject.id, draft)
        if target is None:
            return None
        valid_at, obj, object_id = target.valid_at, target.object, target.object_id
        if draft.when is not None:
            valid_at = draft.when
            if draft.weekday is not None:  # "it was Tuesday, not Monday"
                valid_at = _weekday_before(self._said_at(target) or target.valid_at, draft.weekday)
            if valid_at == target.valid_at:
                return None
        if draft.value is not None:
            if target.object_id is None:
                obj = draft.value
            else:
                was = self._entity(target.object_id, changes)
                entity = entities.resolve(draft.value, was.kind, draft.episode_id, changes)
                if entity is None or entity.id == target.object_id:
                    return None
                obj, object_id = entity.name, entity.id
        new = replace(
            target,
            id=uuid.uuid4().hex,
            object=obj,
            object_id=object_id,
            statement=f"{target.statement} [corrected: {draft.statement}]",
            valid_at=valid_at,
            created_at=self._now,
            episode_ids=(*target.episode_ids, draft.episode_id),
        )
        self._expire(target, new.id, draft.episode_id, changes)
        self._add(new, draft.stated_at, f"correction: {draft.statement}", draft.episode_id, changes)
        if new.invalid_at is None:
            self._current(subject.id, new.predicate).append(new)
        return target, new

    def _said_at(self, fact: Fact) -> datetime | None:
        """When the statement of a fact was said: this pass's or a stored episode's time."""
        for made, said in self._made:
            if made.id == fact.id:
                return said
        if self._episodes is None or not fact.episode_ids:
            return None
        found = self._episodes.get(self._namespace, fact.episode_ids[:1])
        return found[0].occurred_at if found else None

    def _entity(self, entity_id: str, changes: ChangeSet) -> Entity:
        """A stored entity, or one this pass made (a fact of the same batch can be
        corrected before anything of it is stored)."""
        made = [entity for entity, _ in changes.entities if entity.id == entity_id]
        return made[0] if made else self._store.entities(self._namespace, ids=[entity_id])[0]

    def _latest(self, subject_id: str, draft: CorrectionDraft) -> Fact | None:
        """The subject's most recently stated fact still believed, said before the
        correction (and holding the value it calls wrong, when it names one)."""
        made = [f for f, said in sorted(self._made, key=lambda m: m[1]) if said <= draft.stated_at]
        stored = sorted(
            self._store.facts(self._namespace, subject_id=subject_id),
            key=lambda f: (f.created_at, f.valid_at),
        )
        expired = {old for old, _ in self._expired}
        candidates = [
            f
            for f in reversed([*stored, *made])
            if f.subject_id == subject_id and f.expired_at is None and f.id not in expired
        ]
        if draft.when is not None:  # a re-dating amends a happening, else a dated statement
            events = [f for f in candidates if f.predicate in EVENTS]
            candidates = events or [f for f in candidates if _dated(f)]
        for fact in candidates:
            if draft.wrong is not None and normalise(fact.object) != normalise(draft.wrong):
                continue
            if draft.value is not None and draft.wrong is None and fact.object_id is None:
                continue
            return fact
        return None

    def _close(self, old: Fact, at: datetime, by: str, episode_id: str, changes: ChangeSet) -> None:
        """Close ``old`` at ``at``; ``by`` is the new fact's id, or why it ended."""
        reason = by if " " in by else f"superseded by fact {by}"
        changes.closed.append((old.id, at))
        changes.history.append(("fact", old.id, "close", reason, (episode_id,)))
        self._drop(old)

    def _expire(self, old: Fact, by: str, episode_id: str, changes: ChangeSet) -> None:
        changes.expired.append((old.id, self._now))
        self._expired.append((old.id, self._now))
        changes.history.append(("fact", old.id, "expire", f"corrected by fact {by}", (episode_id,)))
        self._drop(old)

    def _drop(self, old: Fact) -> None:
        key = (old.subject_id, old.predicate)
        self._open[key] = [f for f in self._open.get(key, []) if f.id != old.id]
