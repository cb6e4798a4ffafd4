"""The structure verbs of Memory, mixed into it: entities, facts and their
timelines and neighbourhoods, notes, events and history."""

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


class StructureVerbs:
    """Reading the structured layers of a namespace."""

    store: Store
    settings: Settings
    embedder: Embedder
    timings: StageTimings

    def _namespace(self, namespace: str | None) -> str:
        raise NotImplementedError

    def entities(self, *, namespace: str | None = None, kind: str | None = None) -> list[Entity]:
        """Entities of the namespace, of one kind (ENTITY_KINDS) when ``kind`` is given."""
        ns = self._namespace(namespace)
        checked = None if kind is None else validate.choice(kind, ENTITY_KINDS, "kind")
        return self.store.structure.entities(ns, kind=checked)

    def facts(
        self,
        subject: str | None = None,
        predicate: str | None = None,
        *,
        as_of: datetime | str | None = None,
        known_at: datetime | str | None = None,
        namespace: str | None = None,
    ) -> list[Fact]:
        """Facts, oldest first, closed and expired ones included unless filtered.

        ``as_of``: only facts true in the world at that time (as believed now).
        ``known_at``: only facts memstrata held at that time (transaction time).
        ``subject`` is a name or alias.
        """
        ns = self._namespace(namespace)
        subject_id = None
        if subject is not None:
            entity = self._entity(ns, subject)
            if entity is None:
                return []
            subject_id = entity.id
        found = self.store.structure.facts(ns, subject_id=subject_id, predicate=predicate)
        return select_facts(
            found,
            as_of=_optional_time(as_of, "as_of"),
            known_at=_optional_time(known_at, "known_at"),
        )

    def timeline(self, entity: str, *, namespace: str | None = None) -> list[Fact]:
        """Every fact about an entity (as subject or object), in event-time order."""
        ns = self._namespace(namespace)
        found = self._entity(ns, entity)
        if found is None:
            raise NotFound("entity", entity, ns)
        return self.store.structure.facts(ns, entity_id=found.id)

    def neighbors(
        self,
        entity: str,
        *,
        depth: int = 1,
        as_of: datetime | str | None = None,
        namespace: str | None = None,
    ) -> list[Fact]:
        """Facts linking the entity to others, out to ``depth`` hops (valid now by default)."""
        ns = self._namespace(namespace)
        start = self._entity(ns, entity)
        if start is None:
            raise NotFound("entity", entity, ns)
        if not isinstance(depth, int) or not 1 <= depth <= 5:
            raise InvalidInput("must be an integer from 1 to 5", field="depth")
        at = _optional_time(as_of, "as_of") or now()
        return walk_facts(
            lambda eid: self.store.structure.facts(ns, entity_id=eid), start.id, depth, at
        )

    def notes(
        self,
        *,
        kind: str | None = None,
        speaker: str | None = None,
        limit: int = 100,
        include_archived: bool = False,
        namespace: str | None = None,
    ) -> list[Note]:
        """Distilled notes, oldest first (archived ones only with ``include_archived``);
        ``kind`` is one of NOTE_KINDS."""
        return self.store.structure.notes(
            self._namespace(namespace),
            kind=None if kind is None else validate.choice(kind, NOTE_KINDS, "kind"),
            speaker=validate.label(speaker, "speaker"),
            limit=validate.limit(limit, self.settings.max_limit),
            include_archived=include_archived,
        )

    def events(self, *, session_id: str | None = None, namespace: str | None = None) -> list[Event]:
        """Events (runs of episodes that belong together), in time order."""
        ns = self._namespace(namespace)
        segment_dirty(self.store, ns, self.embedder.name, self.timings)
        return self.store.events.list(ns, validate.label(session_id, "session_id"))

    def history(
        self, record_kind: str, record_id: str, *, namespace: str | None = None
    ) -> list[HistoryEntry]:
        """Every change to an entity, fact, note or summary, with the reason and episodes."""
        if record_kind not in ("entity", "fact", "note", "summary"):
            raise InvalidInput("must be entity, fact, note or summary", field="record_kind")
        return self.store.structure.history(self._namespace(namespace), record_kind, record_id)

    def _entity(self, ns: str, name: str) -> Entity | None:
        return self.store.structure.entity_by_norm(
            ns, normalise(validate.text(name, "entity", 256))
        )


def _optional_time(value: datetime | str | None, field: str) -> datetime | None:
    return None if value is None else validate.aware_utc(value, field)
