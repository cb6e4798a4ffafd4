"""mem0's scopes and filters: which namespace a memory lives in, and which of
its memories a ``filters`` dict selects."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from memstrata import validate
from memstrata.errors import InvalidInput
from memstrata.integrations.names import escape
from memstrata.model import Document

ROOT = "mem0"
IDS = ("user_id", "agent_id", "run_id")
PROMOTED = (*IDS, "actor_id", "role")
_OPERATORS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "nin", "contains", "icontains")


def scope_ids(
    *, user_id: str | None = None, agent_id: str | None = None, run_id: str | None = None
) -> dict[str, str]:
    """The ids given, checked as mem0 checks them (no blanks, no whitespace);
    one at least. Raises InvalidInput."""
    given = {"user_id": user_id, "agent_id": agent_id, "run_id": run_id}
    ids: dict[str, str] = {}
    for name, value in given.items():
        if value is None:
            continue
        if (
            not isinstance(value, str)
            or not value.strip()
            or any(c.isspace() for c in value.strip())
        ):
            raise InvalidInput("must be a non-empty string without whitespace", field=name)
        ids[name] = value.strip()
    if not ids:
        raise InvalidInput(
            "at least one of user_id, agent_id or run_id is required", field="user_id"
        )
    return ids


def scope(ids: Mapping[str, str]) -> str:
    """The memstrata namespace of a scope: its user, else agent, else run."""
    kind, value = next((k, ids[k]) for k in IDS if k in ids)
    name = f"{ROOT}.{kind[0]}.{escape(value)}"
    return validate.namespace(name, kind)


def split(filters: Mapping[str, Any] | None) -> tuple[dict[str, str], dict[str, Any]]:
    given = dict(filters or {})
    if any(k in given for k in ("AND", "OR", "NOT")):
        raise InvalidInput("AND, OR and NOT filters are not supported", field="filters")
    # an id given as a value scopes; one given with operators filters like metadata
    ids = scope_ids(**{k: given.pop(k) for k in IDS if isinstance(given.get(k), str)})
    return ids, given


def in_scope(doc: Document, ids: Mapping[str, str], conditions: Mapping[str, Any]) -> bool:
    value = doc.value
    if any(value.get(k) != v for k, v in ids.items()):
        return False
    fields = {**object_of(value.get("metadata")), **{k: value[k] for k in PROMOTED if k in value}}
    return all(_meets(fields.get(k), wanted) for k, wanted in conditions.items())


def _meets(actual: Any, wanted: Any) -> bool:
    if wanted == "*":
        return actual is not None
    if not isinstance(wanted, Mapping):
        return bool(actual == wanted)
    return all(_test(actual, op, operand) for op, operand in wanted.items())


def _test(actual: Any, op: str, operand: Any) -> bool:
    if op not in _OPERATORS:
        raise InvalidInput(f"unsupported operator {op!r}", field="filters")
    if op in ("eq", "ne"):
        return bool(actual == operand) == (op == "eq")
    if op in ("in", "nin"):
        return (actual in operand) == (op == "in") if isinstance(operand, list) else False
    if op in ("contains", "icontains"):
        if not isinstance(actual, str) or not isinstance(operand, str):
            return False
        return operand.casefold() in actual.casefold() if op == "icontains" else operand in actual
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (actual, operand))
    if not numbers:
        return False
    return bool(
        {
            "gt": actual > operand,
            "gte": actual >= operand,
            "lt": actual < operand,
            "lte": actual <= operand,
        }[op]
    )


def object_of(value: object) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}
