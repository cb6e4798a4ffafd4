"""Typed decoding of the rows either database returns: every value checked for
the type its field needs, Literal fields against the values they allow. A value
of the wrong kind is a damaged store (StoreError naming the field), never a
record with a field of the wrong type."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TypeVar, get_args

from memstrata.errors import StoreError
from memstrata.model import JobState, Layer, NoteKind, SummaryLevel
from memstrata.timeutil import from_us

L = TypeVar("L", bound=str)

LAYERS: tuple[Layer, ...] = get_args(Layer)
SUMMARY_LEVELS: tuple[SummaryLevel, ...] = get_args(SummaryLevel)
JOB_STATES: tuple[JobState, ...] = get_args(JobState)
NOTE_KINDS: tuple[NoteKind, ...] = get_args(NoteKind)


def _damaged(value: object, wanted: str, field: str) -> StoreError:
    return StoreError(f"the store holds {value!r} where {field} needs {wanted}")


def integer(value: object, field: str = "a number") -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise _damaged(value, "an integer", field)


def real(value: object, field: str = "a number") -> float:
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return float(value)
    raise _damaged(value, "a number", field)


def time(value: object, field: str = "a time") -> datetime:
    """A time stored as microseconds since the epoch."""
    return from_us(integer(value, field))


def maybe_integer(value: object, field: str = "a number") -> int | None:
    return None if value is None else integer(value, field)


def maybe_real(value: object, field: str = "a number") -> float | None:
    return None if value is None else real(value, field)


def maybe_time(value: object, field: str = "a time") -> datetime | None:
    return None if value is None else time(value, field)


def maybe_text(value: object) -> str | None:
    return None if value is None else str(value)


def literal(value: object, allowed: tuple[L, ...], field: str) -> L:
    """``value`` as one of ``allowed`` (a Literal type's values)."""
    for choice in allowed:
        if value == choice:
            return choice
    raise _damaged(value, f"one of {', '.join(allowed)}", field)
