"""What memstrata itself learnt in a namespace, seen as the reference server's
graph: its entities, its current facts between two entities as relations, and
its notes as observations of the entities they are about (their speaker, or an
entity they name). Only what other episodes told counts, not the graph's own
documents (the client's graph already says that). Dates and quantities are
left out: they are values, not nodes.

Derived records are never deleted; the graph tools hide them instead, with a
marker document, so a client's delete holds and memstrata keeps what it knew.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from memstrata.documents import Documents
from memstrata.mcp.graph_records import Entity, Relation
from memstrata.memory import Memory
from memstrata.model import Document, JSONValue
from memstrata.timeutil import now

HIDDEN = "hidden:"
_LEFT_OUT = frozenset({"date", "quantity"})
_NOTES = 5_000  # the notes a view reads, oldest first (the store's order)


@dataclass(slots=True)
class Hidden:
    """What the client deleted of the derived graph."""

    entities: set[str] = field(default_factory=set)
    relations: set[str] = field(default_factory=set)  # Relation.key
    observations: set[tuple[str, str]] = field(default_factory=set)  # (entity, text)


def hidden_key(kind: str, parts: Sequence[str]) -> str:
    return HIDDEN + json.dumps([kind, *parts], ensure_ascii=False)


def hide(documents: Documents, namespace: str, kind: str, parts: Sequence[str]) -> None:
    """Mark a derived entity, relation or observation as deleted by the client."""
    value: dict[str, JSONValue] = {"kind": kind, "parts": list(parts)}
    documents.put(namespace, hidden_key(kind, parts), value, text=kind, searchable=False)


def hidden(documents: Iterable[Document]) -> Hidden:
    """The hide markers among a namespace's current documents."""
    found = Hidden()
    for doc in documents:
        if not doc.key.startswith(HIDDEN):
            continue
        kind, parts = doc.value.get("kind"), [str(p) for p in _parts(doc.value.get("parts"))]
        if kind == "entity" and parts:
            found.entities.add(parts[0])
        elif kind == "relation" and len(parts) == 3:
            found.relations.add(Relation(parts[0], parts[2], parts[1]).key)
        elif kind == "observation" and len(parts) == 2:
            found.observations.add((parts[0], parts[1]))
    return found


def _parts(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def _told(episode_ids: Sequence[str]) -> bool:
    """Whether an episode other than the graph's own documents stands behind it."""
    return any(not i.startswith("doc:") for i in episode_ids)


def derived_graph(
    memory: Memory, namespace: str, hide_these: Hidden
) -> tuple[dict[str, Entity], list[Relation]]:
    """The derived entities by name and the derived relations, less what is hidden."""
    entities = {e.name: e for e in memory.entities(namespace=namespace) if e.kind not in _LEFT_OUT}
    by_norm = {name.casefold(): name for name in entities}
    facts = [f for f in memory.facts(namespace=namespace, as_of=now()) if _told(f.episode_ids)]
    relations = [
        Relation(f.subject, f.object, f.predicate)
        for f in facts
        if f.object_id and f.subject in entities and f.object in entities
    ]
    observations: dict[str, list[str]] = defaultdict(list)
    notes = memory.store.structure.notes(namespace, limit=_NOTES, include_archived=False)
    for note in notes:
        if not _told(note.episode_ids):
            continue
        owners = {note.speaker, *(by_norm.get(t) for t in note.tags)}
        for owner in owners:
            if owner in entities and (owner, note.text) not in hide_these.observations:
                observations[owner].append(note.text)
    named = {r.source for r in relations} | {r.target for r in relations} | set(observations)
    shown = {
        name: Entity(name, entities[name].kind, tuple(dict.fromkeys(observations[name])))
        for name in sorted(named)
        if name not in hide_these.entities
    }
    kept = [
        r
        for r in dict.fromkeys(relations)
        if r.key not in hide_these.relations and r.source in shown and r.target in shown
    ]
    return shown, kept
