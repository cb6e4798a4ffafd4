"""Input validation shared by every face: one place decides what is acceptable."""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Collection, Mapping
from datetime import UTC, datetime
from typing import TypeVar

from memstrata.errors import InvalidInput
from memstrata.model import JSONValue, Metadata

W = TypeVar("W", bound=str)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@\-]{0,127}$")
_MAX_LABEL = 256
_MAX_METADATA_BYTES = 64 * 1024
_MAX_METADATA_DEPTH = 32
_INVISIBLE = frozenset(("Cc", "Cf", "Cn", "Cs", "Zs", "Zl", "Zp"))


def namespace(value: object, field: str = "namespace") -> str:
    """A namespace name: 1-128 of letters, digits and ``. _ : @ -``."""
    if not isinstance(value, str) or not _NAME.match(value):
        raise InvalidInput(
            "must be 1-128 characters of letters, digits and . _ : @ - "
            "starting with a letter or digit",
            field=field,
        )
    return value


def text(value: object, field: str, max_chars: int) -> str:
    """Non-empty Unicode text of at most max_chars, with at least one visible
    character and no NUL. Other control characters inside visible text are kept
    verbatim (real conversations hold a few)."""
    if not isinstance(value, str):
        hint = " (decode bytes first)" if isinstance(value, bytes | bytearray) else ""
        raise InvalidInput(f"must be a string, not {type(value).__name__}{hint}", field=field)
    if not value.strip():
        raise InvalidInput("must not be empty or whitespace", field=field)
    if len(value) > max_chars:
        raise InvalidInput(
            f"is {len(value)} characters; the limit is {max_chars} "
            "(split long documents into chunks)",
            field=field,
        )
    _require_encodable(value, field)
    _require_visible(value, field)
    return value


def label(value: object, field: str) -> str | None:
    """An optional short label (session id, speaker, role, record id)."""
    return None if value is None else identifier(value, field)


def identifier(value: object, field: str) -> str:
    """A required id (episode, note, summary, key ...) or label: a short non-blank
    string with a visible character."""
    if value is None:
        raise InvalidInput("is required", field=field)
    if not isinstance(value, str):
        raise InvalidInput(f"must be a string, not {type(value).__name__}", field=field)
    if not value.strip() or len(value) > _MAX_LABEL:
        raise InvalidInput(f"must be 1-{_MAX_LABEL} non-blank characters", field=field)
    _require_encodable(value, field)
    _require_visible(value, field)
    return value


def choice(value: object, allowed: Collection[W], field: str) -> W:
    """One of a fixed set of words (as its own type: a Literal's values give
    that Literal)."""
    for option in allowed:
        if isinstance(value, str) and value == option:
            return option
    raise InvalidInput(f"must be one of {', '.join(sorted(allowed))}", field=field)


def count(value: object, low: int, high: int, field: str) -> int:
    """An integer from low to high (a bool or a numeric string is refused)."""
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise InvalidInput(f"must be an integer from {low} to {high}", field=field)
    return value


def aware_utc(value: object, field: str) -> datetime:
    """An aware datetime (or ISO 8601 string with offset), returned in UTC."""
    if isinstance(value, str):
        raw = value.strip()
        if raw.endswith(("Z", "z")):
            raw = raw[:-1] + "+00:00"
        try:
            value = datetime.fromisoformat(raw)
        except ValueError as exc:
            raise InvalidInput(f"is not an ISO 8601 datetime: {value!r}", field=field) from exc
    if not isinstance(value, datetime):
        raise InvalidInput(f"must be a datetime, not {type(value).__name__}", field=field)
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(
            "must be timezone-aware (e.g. datetime(..., tzinfo=timezone.utc) or '...+00:00')",
            field=field,
        )
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise InvalidInput("is out of the representable range", field=field) from exc


def metadata(value: object, field: str = "metadata") -> dict[str, JSONValue]:
    """A JSON object with string keys, finite numbers, no NUL, nested at most 32
    deep, at most 64 KiB encoded."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidInput(f"must be an object, not {type(value).__name__}", field=field)
    _require_json(value, field)
    try:
        encoded = json.dumps(dict(value), ensure_ascii=False, allow_nan=False, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"must be JSON-serialisable ({exc})", field=field) from exc
    _require_encodable(encoded, field)
    if len(encoded.encode("utf-8")) > _MAX_METADATA_BYTES:
        raise InvalidInput(f"is larger than {_MAX_METADATA_BYTES} bytes", field=field)
    decoded: dict[str, JSONValue] = json.loads(encoded)
    return decoded


def _require_json(value: Mapping[object, object], field: str) -> None:
    """Walk a metadata value without recursion: string keys, no NUL, bounded depth
    (a 5,000-deep nest must be an error, not a RecursionError); the size is
    checked on its encoding."""
    stack: list[tuple[object, str, int]] = [(value, field, 1)]
    while stack:
        item, where, depth = stack.pop()
        if isinstance(item, Mapping | list | tuple) and depth > _MAX_METADATA_DEPTH:
            raise InvalidInput(f"nests deeper than {_MAX_METADATA_DEPTH} levels", field=where)
        if isinstance(item, Mapping):
            for key, inner in item.items():
                if not isinstance(key, str):
                    raise InvalidInput(
                        f"keys must be strings, not {type(key).__name__} ({key!r})", field=where
                    )
                if "\x00" in key:
                    raise InvalidInput("keys must not hold NUL characters", field=where)
                stack.append((inner, f"{where}.{key}", depth + 1))
        elif isinstance(item, list | tuple):
            stack.extend((inner, f"{where}[{i}]", depth + 1) for i, inner in enumerate(item))
        elif isinstance(item, str) and "\x00" in item:
            raise InvalidInput("must not hold NUL characters", field=where)


def metadata_filter(value: Metadata | None) -> dict[str, JSONValue]:
    """Metadata equality filter: same rules as metadata, scalars only."""
    checked = metadata(value, field="metadata filter")
    for key, item in checked.items():
        if isinstance(item, list | dict):
            raise InvalidInput("filter values must be scalars", field=f"metadata.{key}")
        if isinstance(item, float) and not math.isfinite(item):
            raise InvalidInput("filter values must be finite", field=f"metadata.{key}")
    return checked


def limit(value: object, max_limit: int, field: str = "limit") -> int:
    return count(value, 1, max_limit, field)


def _require_encodable(value: str, field: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidInput(
            "contains a lone surrogate or other text that is not valid Unicode", field=field
        ) from exc


def visible(value: str) -> bool:
    """Whether a text holds a character that shows (not only spaces, zero-width
    or control characters): what a stored text must hold."""
    return not all(unicodedata.category(ch) in _INVISIBLE for ch in value)


def _require_visible(value: str, field: str) -> None:
    if "\x00" in value:
        raise InvalidInput(f"holds a NUL character (at {value.index(chr(0))})", field=field)
    if not visible(value):
        raise InvalidInput(
            "has no visible character (only spaces, zero-width or control characters)",
            field=field,
        )
