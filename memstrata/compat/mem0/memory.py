"""mem0's ``Memory`` over memstrata (see the package's docstring)."""

from __future__ import annotations

import hashlib
import logging
import math
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from memstrata import validate
from memstrata.compat.mem0.scope import (
    IDS,
    PROMOTED,
    ROOT,
    in_scope,
    object_of,
    scope,
    scope_ids,
    split,
)
from memstrata.documents import Documents
from memstrata.errors import InvalidInput
from memstrata.extract.patterns import SINGLE_VALUED
from memstrata.memory import Memory as Engine
from memstrata.model import Document, Fact, JSONValue, Message

log = logging.getLogger(__name__)

_DIRECTORY = f"{ROOT}.ids"  # memory id -> the namespace that holds it
_SLOT = uuid.UUID("6f1c2b1e-7d4e-4a53-9a55-2d1f0b6c9e11")  # names fact-slot memory ids


class Memory:
    """mem0's ``Memory`` over a memstrata ``Memory`` (default: one opened with
    the usual settings, ``MEMSTRATA_PATH`` or ``memstrata.db``)."""

    def __init__(self, memory: Engine | None = None) -> None:
        self.memory = memory if memory is not None else Engine()
        self.documents = Documents(self.memory)

    @classmethod
    def from_config(cls, config_dict: Mapping[str, Any] | None = None) -> Memory:
        """mem0's constructor from a config dict. memstrata uses its own store,
        embedder and extractor, so mem0's provider settings are ignored (and
        logged); ``{"path": ...}`` opens that memstrata store."""
        config = dict(config_dict or {})
        path = config.pop("path", None)
        if config:
            log.warning("mem0 settings ignored by memstrata: %s", ", ".join(sorted(config)))
        return cls(Engine(path) if path is not None else None)

    # -- writing ---------------------------------------------------------------

    def add(
        self,
        messages: str | Mapping[str, Any] | Sequence[Mapping[str, Any]],
        *,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        infer: bool = True,
        memory_type: str | None = None,
        prompt: str | None = None,
    ) -> dict[str, list[dict[str, Any]]]:
        """Remember messages: as they are (``infer=False``: one memory a message,
        system messages left out) or as the facts they state (``infer=True``).
        Returns ``{"results": [{"id", "memory", "event"}, ...]}``. Raises
        InvalidInput (nothing is stored)."""
        if memory_type is not None or prompt is not None:
            raise InvalidInput("procedural memories and prompts need mem0's LLM", field="prompt")
        ids = scope_ids(user_id=user_id, agent_id=agent_id, run_id=run_id)
        turns = _messages(messages)
        extra = validate.metadata(metadata)
        namespace = scope(ids)
        if not infer:
            kept = [t for t in turns if t.role != "system"]
            for turn in kept:  # all of them, before any is stored
                self.documents.check(namespace, "k", _value(ids, extra, turn), turn.content)
            return {"results": [self._remember(namespace, ids, extra, t, None) for t in kept]}
        return {"results": self._infer(namespace, ids, extra, turns)}

    def update(
        self, memory_id: str, data: str, metadata: Mapping[str, Any] | None = None
    ) -> dict[str, str]:
        """Give a memory new text (and metadata); the old value stays in its history."""
        current = self._find(memory_id)
        value = dict(current.value)
        value["data"] = validate.text(data, "data", self.memory.settings.max_content_chars)
        value["hash"] = _hash(data)
        if metadata is not None:
            value["metadata"] = {**object_of(value.get("metadata")), **validate.metadata(metadata)}
        self.documents.put(current.namespace, memory_id, value, text=data)
        return {"message": "Memory updated successfully!"}

    def delete(self, memory_id: str) -> dict[str, str]:
        """Delete a memory (softly: its history keeps it). Raises ValueError
        (InvalidInput) for an unknown id."""
        current = self._find(memory_id)
        self.documents.delete(current.namespace, memory_id)
        return {"message": "Memory deleted successfully!"}

    def delete_all(
        self, user_id: str | None = None, agent_id: str | None = None, run_id: str | None = None
    ) -> dict[str, str]:
        """Delete every memory of a scope (softly). One id at least is required."""
        ids = scope_ids(user_id=user_id, agent_id=agent_id, run_id=run_id)
        for doc in self._scoped(ids, {}):
            self.documents.delete(doc.namespace, doc.key)
        return {"message": "Memories deleted successfully!"}

    def reset(self) -> None:
        """Erase every memory this layer holds, for good (their conversations too)."""
        for name in self.memory.namespaces():
            if name == ROOT or name.startswith(f"{ROOT}."):
                self.memory.purge(namespace=name, everything=True)

    # -- reading ---------------------------------------------------------------

    def get(self, memory_id: str) -> dict[str, Any] | None:
        """One memory in mem0's shape, or None."""
        found = self._locate(memory_id)
        return None if found is None else _shape(found)

    def get_all(
        self, *, filters: Mapping[str, Any] | None = None, top_k: int = 20, **kwargs: Any
    ) -> dict[str, list[dict[str, Any]]]:
        """The scope's memories, newest first: ``filters`` names the scope
        (``{"user_id": ...}``) and may filter on metadata."""
        _no_top_level_ids(kwargs, "get_all")
        count = _top_k(top_k)
        docs = sorted(self._scoped(*split(filters)), key=lambda d: d.updated_at, reverse=True)
        return {"results": [_shape(d) for d in docs[:count]]}

    def search(
        self,
        query: str,
        *,
        top_k: int = 20,
        filters: Mapping[str, Any] | None = None,
        threshold: float | None = None,
        **kwargs: Any,
    ) -> dict[str, list[dict[str, Any]]]:
        """The scope's memories that best answer ``query``, best first, each with
        a score in (0, 1)."""
        _no_top_level_ids(kwargs, "search")
        if not isinstance(query, str) or not query.strip():
            raise InvalidInput("must be a non-empty string", field="query")
        count = _top_k(top_k)
        if threshold is not None and not (
            isinstance(threshold, int | float) and 0 <= threshold <= 1
        ):
            raise InvalidInput("must be a number from 0 to 1", field="threshold")
        ids, conditions = split(filters)
        namespace = scope(ids)
        if count == 0:
            return {"results": []}
        filtered = bool(conditions) or len(ids) > 1  # then filter what a search returns
        most = self.memory.settings.max_limit
        limit = most if filtered else min(most, 2 * count + 10)
        hits = self.memory.search(
            query, namespace=namespace, limit=limit, reinforce=False if filtered else None
        )
        score = {i: _squash(h.score) for h in hits for i in h.episode_ids}
        found = []
        for doc in self.documents.of_episodes(namespace, list(score)):
            if in_scope(doc, ids, conditions) and score[doc.episode_id] >= (threshold or 0):
                found.append({**_shape(doc), "score": score[doc.episode_id]})
        return {"results": found[:count]}

    def history(self, memory_id: str) -> list[dict[str, Any]]:
        """Every change to a memory, oldest first: ADD, UPDATE, DELETE."""
        namespace = self._namespace_of(validate.identifier(memory_id, "memory_id"))
        if namespace is None:
            return []
        changes: list[dict[str, Any]] = []
        before: str | None = None
        versions = self.documents.history(namespace, memory_id)
        for n, doc in enumerate(versions):
            text = str(doc.value.get("data", ""))
            later = versions[n + 1] if n + 1 < len(versions) else None
            event = "ADD" if before is None else "UPDATE"
            changes.append(_change(doc, memory_id, before, text, event, doc.updated_at))
            ended = doc.ended_at is not None and (
                later is None or later.created_at != doc.created_at
            )
            if ended and doc.ended_at is not None:
                changes.append(_change(doc, memory_id, text, None, "DELETE", doc.ended_at))
            before = None if ended else text
        return changes

    # -- inside ------------------------------------------------------------------

    def _remember(
        self,
        namespace: str,
        ids: dict[str, str],
        extra: dict[str, JSONValue],
        turn: Message,
        key: str | None,
    ) -> dict[str, Any]:
        memory_id = key or str(uuid.uuid4())
        previous = self.documents.get(namespace, memory_id) if key else None
        value = _value(ids, extra, turn)
        if previous is not None and previous.value.get("data") == turn.content:
            return {"id": memory_id, "memory": turn.content, "event": "NONE"}
        self.documents.put(namespace, memory_id, value, text=turn.content)
        # a fresh id is new to the directory; a fact slot's may be there from before
        if previous is None and (key is None or self._namespace_of(memory_id) != namespace):
            self.documents.put(_DIRECTORY, memory_id, {"namespace": namespace}, searchable=False)
        if previous is None:
            return {"id": memory_id, "memory": turn.content, "event": "ADD"}
        old = previous.value.get("data")
        return {"id": memory_id, "memory": turn.content, "event": "UPDATE", "previous_memory": old}

    def _infer(
        self,
        namespace: str,
        ids: dict[str, str],
        extra: dict[str, JSONValue],
        turns: list[Message],
    ) -> list[dict[str, Any]]:
        """Keep the conversation, then make or update one memory per fact slot it
        touched; a user turn with no fact gives its notes."""
        log_namespace = f"{namespace}.log"
        session = ids.get("run_id")
        added = self.memory.add(turns, namespace=log_namespace, session_id=session)
        new = {e.id for e in added}
        facts = self.memory.facts(namespace=log_namespace)
        results: list[dict[str, Any]] = []
        stated: set[str] = set()
        told = [f for f in facts if set(f.episode_ids) & new and _is_open(f)]
        shared = {f.statement for f in told if sum(g.statement == f.statement for g in told) > 1}
        for fact in told:
            stated.update(fact.episode_ids)
            said = Message(content=_sentence(fact, shared), role="user")
            results.append(self._remember(namespace, ids, extra, said, slot(fact)))
        for closed in _ended_here(facts, new, {slot(f) for f in facts if _is_open(f)}):
            gone = self.documents.delete(namespace, slot(closed))
            if gone is not None:
                results.append(
                    {"id": gone.key, "memory": gone.value.get("data"), "event": "DELETE"}
                )
        quiet = [e.id for e in added if e.id not in stated and e.role != "assistant"]
        notes_of = self.memory.store.dynamics.note_ids_of(log_namespace, quiet)
        for note in self.memory.store.structure.notes(log_namespace, ids=notes_of):
            said = Message(content=note.text, role="user")
            results.append(self._remember(namespace, ids, extra, said, None))
        return results

    def _scoped(self, ids: dict[str, str], conditions: Mapping[str, Any]) -> list[Document]:
        return [d for d in self.documents.current(scope(ids)) if in_scope(d, ids, conditions)]

    def _namespace_of(self, memory_id: str) -> str | None:
        entry = self.documents.get(_DIRECTORY, memory_id)
        name = None if entry is None else entry.value.get("namespace")
        return name if isinstance(name, str) else None

    def _locate(self, memory_id: str) -> Document | None:
        namespace = self._namespace_of(validate.identifier(memory_id, "memory_id"))
        return None if namespace is None else self.documents.get(namespace, memory_id)

    def _find(self, memory_id: str) -> Document:
        found = self._locate(memory_id)
        if found is None:
            raise InvalidInput(f"Memory with id {memory_id} not found", field="memory_id")
        return found


def _value(
    ids: Mapping[str, str], extra: dict[str, JSONValue], turn: Message
) -> dict[str, JSONValue]:
    """A memory's document: mem0's payload (text, hash, ids, role, actor, metadata)."""
    return {
        "data": turn.content,
        "hash": _hash(turn.content),
        **ids,
        **({"role": turn.role} if turn.role else {}),
        **({"actor_id": turn.speaker} if turn.speaker else {}),
        **({"metadata": extra} if extra else {}),
    }


def slot(fact: Fact) -> str:
    """The memory id of a fact's slot: its subject and predicate, and its object
    too where the predicate holds many values at once (pets, likes)."""
    key = f"{fact.namespace}|{fact.subject_id}|{fact.predicate}"
    if fact.predicate not in SINGLE_VALUED:
        key += f"|{fact.object_id or fact.object.casefold()}"
    return str(uuid.uuid5(_SLOT, key))


def _is_open(fact: Fact) -> bool:
    return fact.invalid_at is None and fact.expired_at is None


def _sentence(fact: Fact, shared: set[str]) -> str:
    """The fact's own statement, or its triple where one statement states several."""
    if fact.statement not in shared:
        return fact.statement
    return f"{fact.subject} {fact.predicate.replace('_', ' ')} {fact.object}"


def _ended_here(facts: Sequence[Fact], new: set[str], open_slots: set[str]) -> list[Fact]:
    """Facts this add ended (closed or retracted) whose slot has no open fact left."""
    ended = []
    for fact in facts:
        if not _is_open(fact) and not set(fact.episode_ids) <= new and slot(fact) not in open_slots:
            ended.append(fact)
    return ended


def _messages(messages: object) -> list[Message]:
    if isinstance(messages, str):
        return [Message(content=messages, role="user")]
    if isinstance(messages, Mapping):
        messages = [messages]
    if not isinstance(messages, Sequence) or not messages:
        raise InvalidInput("must be a text, a message or a list of messages", field="messages")
    turns = []
    for n, item in enumerate(messages):
        if not isinstance(item, Mapping):
            raise InvalidInput("must be a {'role', 'content'} object", field=f"messages[{n}]")
        content = item.get("content")
        role, name = item.get("role"), item.get("name")
        turns.append(
            Message(
                content=validate.text(content, f"messages[{n}].content", 200_000),
                role=validate.label(role, f"messages[{n}].role"),
                speaker=validate.label(name, f"messages[{n}].name"),
            )
        )
    return turns


def _shape(doc: Document) -> dict[str, Any]:
    value = doc.value
    item: dict[str, Any] = {
        "id": doc.key,
        "memory": value.get("data", ""),
        "hash": value.get("hash"),
        "metadata": value.get("metadata") or None,
        "created_at": doc.created_at.isoformat(),
        "updated_at": doc.updated_at.isoformat(),
    }
    item.update({k: value[k] for k in PROMOTED if k in value})
    return item


def _change(
    doc: Document, memory_id: str, old: str | None, new: str | None, event: str, at: Any
) -> dict[str, Any]:
    return {
        "id": f"{doc.episode_id}:{event.lower()}",
        "memory_id": memory_id,
        "old_memory": old,
        "new_memory": new,
        "event": event,
        "created_at": doc.created_at.isoformat(),
        "updated_at": at.isoformat(),
        "is_deleted": int(event == "DELETE"),
        "actor_id": doc.value.get("actor_id"),
        "role": doc.value.get("role"),
    }


def _hash(text: str) -> str:
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def _squash(score: float) -> float:
    return 1 / (1 + math.exp(-score))


def _top_k(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidInput("must be a non-negative integer", field="top_k")
    return value


def _no_top_level_ids(kwargs: Mapping[str, Any], method: str) -> None:
    if set(kwargs) & set(IDS):
        raise InvalidInput(
            f"give the ids to {method}() in filters={{'user_id': '...'}}", field="filters"
        )
    if kwargs:
        raise InvalidInput(f"unknown arguments {sorted(kwargs)}", field=method)


__all__ = ["Memory"]
