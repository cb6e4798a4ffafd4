"""Turning what callers hand to add() into validated episodes."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime

from memstrata import validate
from memstrata.config import Settings
from memstrata.errors import InvalidInput
from memstrata.model import Episode, Message, Metadata

MessageLike = str | Message | Mapping[str, object]


def index_text(speaker: str | None, content: str) -> str:
    """What is indexed and embedded for an episode: "Speaker: content"."""
    return f"{speaker}: {content}" if speaker else content


def to_episodes(
    namespace: str,
    content: str | Sequence[MessageLike],
    recorded: datetime,
    settings: Settings,
    *,
    session_id: str | None = None,
    speaker: str | None = None,
    role: str | None = None,
    occurred_at: datetime | str | None = None,
    metadata: Metadata | None = None,
) -> list[Episode]:
    """Validated episodes for a text or a list of messages; the keyword values
    are defaults for messages that set none. Raises InvalidInput naming the
    first bad message and field."""
    defaults = Message(
        content="",
        speaker=speaker,
        role=role,
        session_id=session_id,
        occurred_at=None if occurred_at is None else validate.aware_utc(occurred_at, "occurred_at"),
        metadata=validate.metadata(metadata),
    )
    if isinstance(content, str | bytes):
        items: Sequence[MessageLike] = [content]
    elif isinstance(content, Sequence):
        items = content
    else:
        raise InvalidInput("must be a text or a list of messages", field="content")
    if not items or len(items) > settings.max_batch:
        raise InvalidInput(f"must hold 1 to {settings.max_batch} messages", field="content")
    return [
        _episode(namespace, item, i, defaults, recorded, settings.max_content_chars)
        for i, item in enumerate(items)
    ]


def _fields(item: MessageLike, where: str) -> dict[str, object]:
    if isinstance(item, str | bytes):
        return {"content": item}
    if isinstance(item, Mapping):
        unknown = set(item) - set(Message.__dataclass_fields__)
        if unknown:
            raise InvalidInput(f"unknown fields {sorted(unknown)}", field=where)
        return dict(item)
    if isinstance(item, Message):
        return {f: getattr(item, f) for f in Message.__dataclass_fields__}
    raise InvalidInput(f"must be a message object, not {type(item).__name__}", field=where)


def _pick(raw: Mapping[str, object], key: str, default: object) -> object:
    """The message's own value when it sets one (even an invalid one), else the default."""
    value = raw.get(key)
    return default if value is None else value


def _episode(
    namespace: str,
    item: MessageLike,
    index: int,
    defaults: Message,
    recorded: datetime,
    max_chars: int,
) -> Episode:
    where = f"messages[{index}]"
    raw = _fields(item, where)
    occurred = raw.get("occurred_at")
    metadata = {**defaults.metadata, **validate.metadata(raw.get("metadata"), f"{where}.metadata")}
    return Episode(
        id=validate.label(raw.get("id"), f"{where}.id") or uuid.uuid4().hex,
        namespace=namespace,
        content=validate.text(raw.get("content"), f"{where}.content", max_chars),
        occurred_at=(
            validate.aware_utc(occurred, f"{where}.occurred_at")
            if occurred is not None
            else defaults.occurred_at or recorded
        ),
        recorded_at=recorded,
        session_id=validate.label(
            _pick(raw, "session_id", defaults.session_id), f"{where}.session_id"
        ),
        speaker=validate.label(_pick(raw, "speaker", defaults.speaker), f"{where}.speaker"),
        role=validate.label(_pick(raw, "role", defaults.role), f"{where}.role"),
        metadata=validate.metadata(metadata, f"{where}.metadata"),
    )
