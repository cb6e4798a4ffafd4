"""memstrata as a LangGraph store (``BaseStore``): items are documents, search is recall.

>>> from memstrata import Memory                                   # doctest: +SKIP
>>> from memstrata.integrations.langgraph import MemstrataStore    # doctest: +SKIP
>>> store = MemstrataStore(Memory("memory.db"))                    # doctest: +SKIP
>>> store.put(("users", "ana"), "prefs", {"food": "ramen"})        # doctest: +SKIP
>>> store.search(("users",), query="what does Ana like to eat?")   # doctest: +SKIP

A namespace tuple is one memstrata namespace: ``<prefix>.<label>.<label>``,
each label kept where it is made of letters, digits, ``_``, ``-`` and ``@``
and escaped (``:`` and two hex digits a byte) elsewhere, so no two tuples
share a namespace and prefixes match whole labels only (``("a",)`` never
reaches ``("ab",)``). An item is a ``memstrata.documents`` document: ``put``
on a key stores a new version and keeps the old one in its history,
``delete`` is soft, and the item's text is indexed, embedded and extracted
like a message. ``search(query=...)`` is memstrata's recall in each namespace
under the prefix, merged by score; ``filter`` takes values and the operators
``$eq $ne $gt $gte $lt $lte`` on the item's fields, nested ones by nesting.

TTL is refused (memstrata does not expire what it was told; use its
forgetting policy). ``index`` may name the fields whose text is searched
(``{"fields": ["text"]}``, or ``index=[...]`` / ``index=False`` on a put);
vectors come from memstrata's own embedder, so ``embed`` and ``dims`` are
refused.
"""

from __future__ import annotations

import asyncio
import math
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from memstrata.documents import Documents, check_key, render
from memstrata.errors import MissingDependency
from memstrata.integrations.names import KEPT, escape, unescape
from memstrata.memory import Memory
from memstrata.model import Document, JSONValue
from memstrata.validate import metadata as json_object

try:
    from langgraph.store.base import (
        BaseStore,
        GetOp,
        IndexConfig,
        InvalidNamespaceError,
        Item,
        ListNamespacesOp,
        MatchCondition,
        Op,
        PutOp,
        Result,
        SearchItem,
        SearchOp,
        validate_op_namespace,
    )
    from langgraph.store.base.embed import get_text_at_path, tokenize_path
except ImportError as exc:  # pragma: no cover - the extra is missing
    raise MissingDependency("langgraph") from exc

_MAX_NAME = 128
_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "$eq": operator.eq,
    "$ne": operator.ne,
    "$gt": operator.gt,
    "$gte": operator.ge,
    "$lt": operator.lt,
    "$lte": operator.le,
}


def encode(prefix: str, namespace: tuple[str, ...]) -> str:
    """The memstrata namespace of a LangGraph namespace tuple.

    Raises InvalidNamespaceError for an empty tuple, a label LangGraph refuses,
    or a tuple too long for memstrata's 128-character names."""
    if not namespace:
        raise InvalidNamespaceError("Namespace cannot be empty.")
    name = ".".join([prefix, *(escape(label) for label in namespace)])
    if len(name) > _MAX_NAME:
        raise InvalidNamespaceError(
            f"Namespace {namespace} is {len(name)} characters as a memstrata namespace "
            f"({name[:40]}...); the limit is {_MAX_NAME}"
        )
    return name


def decode(prefix: str, name: str) -> tuple[str, ...] | None:
    """The namespace tuple a memstrata namespace stands for, or None if it is not one."""
    head, _, rest = name.partition(".")
    if head != prefix or not rest:
        return None
    try:
        return tuple(unescape(label) for label in rest.split("."))
    except ValueError:
        return None


def matches(condition: MatchCondition, namespace: tuple[str, ...]) -> bool:
    """Whether a namespace meets a prefix or suffix condition (``*`` is any label)."""
    path = tuple(condition.path)
    if len(namespace) < len(path):
        return False
    part = namespace[: len(path)] if condition.match_type == "prefix" else namespace[-len(path) :]
    return all(p in ("*", n) for p, n in zip(path, part, strict=True)) if path else True


def passes(value: Mapping[str, Any], conditions: Mapping[str, Any]) -> bool:
    """Whether an item's value meets a LangGraph filter: equal values, nested
    objects field by field, or operators on numbers (or on strings with strings)."""
    return all(_meets(value.get(field), wanted) for field, wanted in conditions.items())


def _meets(actual: Any, wanted: Any) -> bool:
    if isinstance(wanted, Mapping):
        if any(str(k).startswith("$") for k in wanted):
            return all(_compare(actual, op, operand) for op, operand in wanted.items())
        return isinstance(actual, Mapping) and passes(actual, wanted)
    return bool(actual == wanted)


def _compare(actual: Any, op: str, operand: Any) -> bool:
    if op not in _OPERATORS:
        raise ValueError(f"Unsupported operator: {op} (use one of {', '.join(_OPERATORS)})")
    if op in ("$eq", "$ne"):
        return bool(actual == operand) == (op == "$eq")
    if _is_number(actual) and _is_number(operand):
        return bool(_OPERATORS[op](float(actual), float(operand)))
    if isinstance(actual, str) and isinstance(operand, str):
        return bool(_OPERATORS[op](actual, operand))
    return False  # no order between a number and a string, or with a missing field


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class MemstrataStore(BaseStore):
    """A LangGraph ``BaseStore`` over a memstrata ``Memory``.

    ``prefix`` is the first part of every memstrata namespace the store uses
    (default ``lg``); ``index`` may only name ``fields``. Raises ValueError for
    an ``index`` with ``embed`` or ``dims``.
    """

    supports_ttl = False

    def __init__(
        self, memory: Memory, *, prefix: str = "lg", index: IndexConfig | None = None
    ) -> None:
        unsupported = sorted(set(index or {}) - {"fields"})
        if unsupported:
            raise ValueError(
                f"index options {unsupported} are not supported: memstrata embeds with its "
                "own model (MEMSTRATA_EMBEDDER); give index={'fields': [...]} or nothing"
            )
        if not prefix or set(prefix) - KEPT:
            raise ValueError("prefix must be letters, digits, '_', '-' or '@'")
        self.memory = memory
        self.documents = Documents(memory)
        self.prefix = prefix
        self.fields: list[str] | None = list((index or {}).get("fields") or []) or None

    def batch(self, ops: Iterable[Op]) -> list[Result]:
        """Run the operations: every one is checked first (a bad one raises and
        nothing is stored), reads see the store as it was before the batch, and
        the writes are applied last, the last write of a key winning."""
        listed = list(ops)
        writes: dict[tuple[str, str], _Write] = {}
        for op in listed:
            validate_op_namespace(op)
            if isinstance(op, PutOp):
                write = self._write(op)
                writes.pop((write.namespace, op.key), None)
                writes[(write.namespace, op.key)] = write
            elif not isinstance(op, GetOp | SearchOp | ListNamespacesOp):
                raise ValueError(f"Unknown operation type: {type(op)}")
        results = [None if isinstance(op, PutOp) else self._read(op) for op in listed]
        for write in writes.values():
            if write.value is None:
                self.documents.delete(write.namespace, write.key)
            else:
                self.documents.put(
                    write.namespace,
                    write.key,
                    write.value,
                    text=write.text,
                    searchable=write.searchable,
                )
        return results

    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        """``batch`` on a worker thread."""
        return await asyncio.to_thread(self.batch, list(ops))

    # -- the operations --------------------------------------------------------

    def _write(self, op: PutOp) -> _Write:
        if op.ttl is not None:
            raise NotImplementedError(
                f"TTL is not supported by {type(self).__name__}: memstrata keeps what it is "
                "told; forget with Memory.forget() or a forgetting policy"
            )
        namespace = encode(self.prefix, op.namespace)
        if op.value is None:
            return _Write(namespace, check_key(op.key), None, "", True)
        fields = self.fields if op.index is None else (op.index or None)
        text = self._text(op.value, fields)
        value = self.documents.check(namespace, op.key, op.value, text)
        return _Write(namespace, op.key, value, text, op.index is not False)

    def _text(self, value: Mapping[str, Any], fields: Sequence[str] | None) -> str:
        if not fields or list(fields) == ["$"]:
            return render(json_object(value, "value"))
        parts = [t for f in fields for t in get_text_at_path(value, tokenize_path(f))]
        return "\n".join(p for p in parts if p.strip())

    def _read(self, op: Op) -> Result:
        if isinstance(op, GetOp):
            found = self.documents.get(encode(self.prefix, op.namespace), op.key)
            return None if found is None else _item(found, op.namespace)
        if isinstance(op, SearchOp):
            return self._search(op)
        assert isinstance(op, ListNamespacesOp)
        return self._list(op)

    def _under(self, prefix: tuple[str, ...]) -> list[tuple[str, tuple[str, ...]]]:
        """The memstrata namespaces (and their tuples) at or below a tuple prefix."""
        found = []
        for name in self.memory.namespaces():
            namespace = decode(self.prefix, name)
            if namespace is not None and namespace[: len(prefix)] == tuple(prefix):
                found.append((name, namespace))
        return found

    def _search(self, op: SearchOp) -> list[SearchItem]:
        wanted = op.offset + op.limit
        scored: list[tuple[float, Document, tuple[str, ...]]] = []
        for name, namespace in self._under(op.namespace_prefix):
            if op.query is None:
                docs = [(math.nan, d) for d in self.documents.current(name)]
            else:
                docs = self._recalled(name, op.query, wanted, bool(op.filter))
            scored.extend(
                (score, doc, namespace)
                for score, doc in docs
                if not op.filter or passes(doc.value, op.filter)
            )
        if op.query is None:  # newest first, as a listing
            scored.sort(key=lambda s: s[1].updated_at, reverse=True)
        else:
            scored.sort(key=lambda s: -s[0])
        return [
            _hit(doc, namespace, None if math.isnan(score) else score)
            for score, doc, namespace in scored[op.offset : wanted]
        ]

    def _recalled(
        self, name: str, query: str, wanted: int, filtered: bool
    ) -> list[tuple[float, Document]]:
        """The namespace's searchable documents that recall finds for ``query``, best
        first: room for ``wanted`` of them, or (``filtered``) as many as a search
        returns, then filtered (those are not reinforced: most are not shown)."""
        if not query.strip() or wanted == 0:
            return []
        most = self.memory.settings.max_limit
        limit = most if filtered else min(most, 2 * wanted + 10)
        hits = self.memory.search(
            query, namespace=name, limit=limit, reinforce=False if filtered else None
        )
        score = {i: h.score for h in hits for i in h.episode_ids}
        docs = self.documents.of_episodes(name, list(score))
        return [(score[d.episode_id], d) for d in docs if d.is_searchable]

    def _list(self, op: ListNamespacesOp) -> list[tuple[str, ...]]:
        found = {
            namespace
            for name, namespace in self._under(())
            if all(matches(c, namespace) for c in op.match_conditions or ())
            and self.documents.has_any(name)
        }
        if op.max_depth is not None:
            found = {namespace[: op.max_depth] for namespace in found}
        return sorted(found)[op.offset : op.offset + op.limit]


@dataclass(frozen=True, slots=True)
class _Write:
    namespace: str
    key: str
    value: dict[str, JSONValue] | None  # None: delete
    text: str
    searchable: bool


def _item(doc: Document, namespace: tuple[str, ...]) -> Item:
    return Item(namespace=namespace, **_fields(doc))


def _hit(doc: Document, namespace: tuple[str, ...], score: float | None) -> SearchItem:
    return SearchItem(namespace=namespace, score=score, **_fields(doc))


def _fields(doc: Document) -> dict[str, Any]:
    return {
        "key": doc.key,
        "value": dict(doc.value),
        "created_at": doc.created_at,
        "updated_at": doc.updated_at,
    }


__all__ = ["MemstrataStore", "decode", "encode", "matches", "passes"]
