"""Memory's structure part: reading the structured layers of a namespace
(entities, facts and their timelines and neighbourhoods, notes, events and
history). Each verb takes the namespace already resolved."""

from __future__ import annotations

from datetime import datetime

from memstrata import validate
from memstrata.config import Settings
from memstrata.errors import InvalidInput, NotFound
from memstrata.events.service import segment_dirty
from memstrata.model import ENTITY_KINDS, NOTE_KINDS, Entity, Event, Fact, HistoryEntry, Note
from memstrata.providers.embed.base import Embedder
from memstrata.resolve.entities import normalise
from memstrata.retrieve.facts import select_facts, walk_facts
from memstrata.store.base import Store
from memstrata.timeutil import now
from memstrata.timing import StageTimings

HISTORY_KINDS = ("entity", "fact", "note", "summary")


class Structure:
    """Entities, facts, notes, events and history of one store."""

    def __init__(
        self, store: Store, settings: Settings, embedder: Embedder, timings: StageTimings
    ) -> None:
        self.store = store
        self.settings = settings
        self.embedder = embedder
        self.timings = timings

    def entities(self, ns: str, kind: str | None) -> list[Entity]:
        checked = None if kind is None else validate.choice(kind, ENTITY_KINDS, "kind")
        return self.store.structure.entities(ns, kind=checked)

    def facts(
        self,
        ns: str,
        subject: str | None,
        predicate: str | None,
        as_of: datetime | str | None,
        known_at: datetime | str | None,
    ) -> list[Fact]:
        subject_id = None
        if subject is not None:
            entity = self.entity(ns, subject)
            if entity is None:
                return []
            subject_id = entity.id
        found = self.store.structure.facts(ns, subject_id=subject_id, predicate=predicate)
        return select_facts(
            found,
            as_of=optional_time(as_of, "as_of"),
            known_at=optional_time(known_at, "known_at"),
        )

    def timeline(self, ns: str, entity: str) -> list[Fact]:
        found = self.entity(ns, entity)
        if found is None:
            raise NotFound("entity", entity, ns)
        return self.store.structure.facts(ns, entity_id=found.id)

    def neighbors(
        self, ns: str, entity: str, depth: int, as_of: datetime | str | None
    ) -> list[Fact]:
        start = self.entity(ns, entity)
        if start is None:
            raise NotFound("entity", entity, ns)
        if not isinstance(depth, int) or not 1 <= depth <= 5:
            raise InvalidInput("must be an integer from 1 to 5", field="depth")
        at = optional_time(as_of, "as_of") or now()
        return walk_facts(
            lambda eid: self.store.structure.facts(ns, entity_id=eid), start.id, depth, at
        )

    def notes(
        self,
        ns: str,
        kind: str | None,
        speaker: str | None,
        limit: int,
        include_archived: bool,
    ) -> list[Note]:
        return self.store.structure.notes(
            ns,
            kind=None if kind is None else validate.choice(kind, NOTE_KINDS, "kind"),
            speaker=validate.label(speaker, "speaker"),
            limit=validate.limit(limit, self.settings.max_limit),
            include_archived=include_archived,
        )

    def events(self, ns: str, session_id: str | None) -> list[Event]:
        segment_dirty(self.store, ns, self.embedder.name, self.timings)
        return self.store.events.list(ns, validate.label(session_id, "session_id"))

    def history(self, ns: str, record_kind: str, record_id: str) -> list[HistoryEntry]:
        if record_kind not in HISTORY_KINDS:
            raise InvalidInput("must be entity, fact, note or summary", field="record_kind")
        return self.store.structure.history(ns, record_kind, record_id)

    def entity(self, ns: str, name: str) -> Entity | None:
        """The entity known by ``name`` (a name or an alias), if any."""
        return self.store.structure.entity_by_norm(
            ns, normalise(validate.text(name, "entity", 256))
        )


def optional_time(value: datetime | str | None, field: str) -> datetime | None:
    return None if value is None else validate.aware_utc(value, field)
