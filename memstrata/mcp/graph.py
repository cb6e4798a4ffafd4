"""The reference MCP memory server's knowledge graph (entities with observations,
relations between them), kept in memstrata.

Each entity and each relation is a ``memstrata.documents`` document of the
server's namespace (``entity:<name>``, ``relation:<from>|<type>|<to>``), so
every change is a version in its history and a delete is soft; their text is
indexed and extracted like any message, so memstrata's own entities, facts and
notes grow from the observations, and ``search_nodes`` is memstrata recall
(any word in common, stemmed) besides the reference server's substring match.

The graph the tools show also holds what memstrata learnt in the namespace from
other episodes (what ``remember`` or ``add()`` stored): its entities, current
facts between them as relations, its notes as observations
(``memstrata.mcp.derived``). Deleting those hides them; nothing is lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from memstrata import validate
from memstrata.documents import Documents
from memstrata.errors import InvalidInput, NotFound
from memstrata.mcp.derived import Hidden, derived_graph, hidden, hide
from memstrata.mcp.graph_records import RELATION, Entity, Graph, Relation
from memstrata.memory import Memory
from memstrata.model import Document

ENTITY = "entity:"


def _name(value: object, where: str) -> str:
    return validate.identifier(value, where)


def _observation(value: object, where: str) -> str:
    return validate.text(value, where, 10_000)


class KnowledgeGraph:
    """The graph of one namespace: the client's entities and relations, merged with
    what memstrata learnt there from other episodes (``memstrata.mcp.derived``).
    Every method checks all its input before it writes."""

    def __init__(self, memory: Memory, namespace: str) -> None:
        self.documents = Documents(memory)
        self.memory = memory
        self.namespace = validate.namespace(namespace)

    def create_entities(self, entities: Sequence[Entity]) -> list[Entity]:
        """Store the entities whose names are new; returns those stored."""
        checked = [
            Entity(
                _name(e.name, f"entities[{n}].name"),
                _name(e.entityType, f"entities[{n}].entityType"),
                tuple(
                    _observation(o, f"entities[{n}].observations[{i}]")
                    for i, o in enumerate(e.observations)
                ),
            )
            for n, e in enumerate(entities)
        ]
        existing = {e.name for e in self.read_graph().entities}
        made: list[Entity] = []
        for entity in checked:
            if entity.name not in existing:
                existing.add(entity.name)
                self._put_entity(entity)
                made.append(entity)
        return made

    def create_relations(self, relations: Sequence[Relation]) -> list[Relation]:
        """Store the relations not already there; returns those stored."""
        checked = [
            Relation(
                _name(r.source, f"relations[{n}].from"),
                _name(r.target, f"relations[{n}].to"),
                _name(r.relationType, f"relations[{n}].relationType"),
            )
            for n, r in enumerate(relations)
        ]
        existing = {r.key for r in self.read_graph().relations}
        made: list[Relation] = []
        for relation in checked:
            if relation.key not in existing:
                existing.add(relation.key)
                text = f"{relation.source} {relation.relationType} {relation.target}"
                self.documents.put(self.namespace, relation.key, relation.as_json(), text=text)
                made.append(relation)
        return made

    def add_observations(
        self, additions: Sequence[tuple[str, Sequence[str]]]
    ) -> list[tuple[str, list[str]]]:
        """Add observations to existing entities; returns what each gained. Raises
        NotFound (nothing is stored) when an entity does not exist."""
        state = self._own()
        shown = {e.name: e for e in self._view(state).entities}
        own = {e.name: e for e in state.entities}
        plan: list[tuple[Entity, list[str]]] = []
        for n, (name, contents) in enumerate(additions):
            entity = shown.get(_name(name, f"observations[{n}].entityName"))
            if entity is None:
                raise NotFound("entity", name, self.namespace)
            new = [_observation(c, f"observations[{n}].contents") for c in contents]
            fresh = [c for c in dict.fromkeys(new) if c not in entity.observations]
            base = own.get(name, Entity(name, entity.entityType))
            own[name] = Entity(name, base.entityType, (*base.observations, *fresh))
            shown[name] = Entity(name, entity.entityType, (*entity.observations, *fresh))
            plan.append((own[name], fresh))
        for entity, fresh in plan:
            if fresh:
                self._put_entity(entity)
        return [(entity.name, fresh) for entity, fresh in plan]

    def delete_entities(self, names: Sequence[str]) -> None:
        """Delete entities and every relation that touches them (softly; what
        memstrata learnt itself is hidden, not deleted)."""
        gone = {_name(n, f"entityNames[{i}]") for i, n in enumerate(names)}
        state = self._own()
        learnt, _ = self._derived(state)
        for name in gone:
            self.documents.delete(self.namespace, ENTITY + name)
            if name in learnt:
                hide(self.documents, self.namespace, "entity", [name])
        for relation in state.relations:
            if relation.source in gone or relation.target in gone:
                self.documents.delete(self.namespace, relation.key)

    def delete_observations(self, deletions: Sequence[tuple[str, Sequence[str]]]) -> None:
        """Remove observations from entities; an unknown entity or observation is skipped."""
        state = self._own()
        own = {e.name: e for e in state.entities}
        learnt, _ = self._derived(state)
        for n, (name, observations) in enumerate(deletions):
            _name(name, f"deletions[{n}].entityName")
            dropped = set(observations)
            entity = own.get(name)
            if entity is not None:
                kept = tuple(o for o in entity.observations if o not in dropped)
                if kept != entity.observations:
                    own[name] = Entity(entity.name, entity.entityType, kept)
                    self._put_entity(own[name])
            derived = learnt.get(name)
            for text in dropped & set(derived.observations if derived else ()):
                hide(self.documents, self.namespace, "observation", [name, text])

    def delete_relations(self, relations: Sequence[Relation]) -> None:
        """Delete relations (softly); one that is not there is skipped."""
        _, learnt = self._derived(self._own())
        derived = {r.key for r in learnt}
        for relation in relations:
            self.documents.delete(self.namespace, relation.key)
            if relation.key in derived:
                parts = [relation.source, relation.relationType, relation.target]
                hide(self.documents, self.namespace, "relation", parts)

    def read_graph(self) -> Graph:
        """Every entity and relation: the client's first, then what memstrata learnt
        (an entity both know shows the client's type and both's observations)."""
        return self._view(self._own())

    def _view(self, state: _Own) -> Graph:
        learnt, learnt_links = self._derived(state)
        merged = []
        for entity in state.entities:
            extra = learnt.pop(entity.name, None)
            more = [
                o for o in (extra.observations if extra else ()) if o not in entity.observations
            ]
            merged.append(Entity(entity.name, entity.entityType, (*entity.observations, *more)))
        keys = {r.key for r in state.relations}
        relations = [*state.relations, *(r for r in learnt_links if r.key not in keys)]
        return Graph([*merged, *learnt.values()], relations)

    def search_nodes(self, query: str) -> Graph:
        """Entities whose name, type or observations hold the query (case aside),
        or that recall finds sharing a word with it; with the relations among them."""
        wanted = validate.text(query, "query", 10_000).strip()
        lowered = wanted.casefold()
        graph = self.read_graph()
        found = {
            e.name
            for e in graph.entities
            if lowered in e.name.casefold()
            or lowered in e.entityType.casefold()
            or any(lowered in o.casefold() for o in e.observations)
        }
        found |= self._recalled(wanted)
        return _subgraph(graph, found)

    def open_nodes(self, names: Sequence[str]) -> Graph:
        """The entities named (unknown names skipped), with the relations among them."""
        wanted = {_name(n, f"names[{i}]") for i, n in enumerate(names)}
        return _subgraph(self.read_graph(), wanted)

    # -- inside ------------------------------------------------------------------

    def _own(self) -> _Own:
        """The client's graph and its hide markers, from one read of the documents."""
        docs = list(self.documents.current(self.namespace))
        return _Own(
            [_entity(d) for d in docs if d.key.startswith(ENTITY)],
            [_relation(d) for d in docs if d.key.startswith(RELATION)],
            hidden(docs),
        )

    def _derived(self, state: _Own) -> tuple[dict[str, Entity], list[Relation]]:
        return derived_graph(self.memory, self.namespace, state.hidden)

    def _put_entity(self, entity: Entity) -> None:
        text = "\n".join([f"{entity.name} ({entity.entityType})", *entity.observations])
        self.documents.put(self.namespace, ENTITY + entity.name, entity.as_json(), text=text)

    def _recalled(self, query: str) -> set[str]:
        hits = self.memory.search(query, namespace=self.namespace, limit=20, retrievers=["bm25"])
        docs = self.documents.of_episodes(self.namespace, [i for h in hits for i in h.episode_ids])
        return {d.key[len(ENTITY) :] for d in docs if d.key.startswith(ENTITY)}


@dataclass(frozen=True, slots=True)
class _Own:
    entities: list[Entity]
    relations: list[Relation]
    hidden: Hidden


def _entity(doc: Document) -> Entity:
    observations = tuple(str(o) for o in _list(doc.value.get("observations")))
    return Entity(str(doc.value["name"]), str(doc.value["entityType"]), observations)


def _relation(doc: Document) -> Relation:
    value = doc.value
    return Relation(str(value["from"]), str(value["to"]), str(value["relationType"]))


def _subgraph(graph: Graph, names: set[str]) -> Graph:
    kept = [e for e in graph.entities if e.name in names]
    present = {e.name for e in kept}
    relations = [r for r in graph.relations if r.source in present and r.target in present]
    return Graph(kept, relations)


def _list(value: object) -> list[object]:
    if not isinstance(value, list):
        raise InvalidInput("observations must be a list", field="observations")
    return value
