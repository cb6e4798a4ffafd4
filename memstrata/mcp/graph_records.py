"""The records of the reference MCP memory server's graph: entities with
observations, relations between them, and a graph of both."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from memstrata.model import JSONValue

RELATION = "relation:"


@dataclass(frozen=True, slots=True)
class Entity:
    name: str
    entityType: str
    observations: tuple[str, ...] = ()

    def as_json(self) -> dict[str, JSONValue]:
        return {
            "name": self.name,
            "entityType": self.entityType,
            "observations": [*self.observations],
        }


@dataclass(frozen=True, slots=True)
class Relation:
    source: str
    target: str
    relationType: str

    def as_json(self) -> dict[str, JSONValue]:
        return {"from": self.source, "to": self.target, "relationType": self.relationType}

    @property
    def key(self) -> str:
        return RELATION + json.dumps([self.source, self.relationType, self.target])


@dataclass(frozen=True, slots=True)
class Graph:
    entities: list[Entity] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)

    def as_json(self) -> dict[str, JSONValue]:
        return {
            "entities": [e.as_json() for e in self.entities],
            "relations": [r.as_json() for r in self.relations],
        }
