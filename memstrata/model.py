"""Records: what memstrata stores and returns. Imports nothing from the package."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, TypeAlias

JSONValue: TypeAlias = str | int | float | bool | list["JSONValue"] | dict[str, "JSONValue"] | None
Metadata: TypeAlias = Mapping[str, JSONValue]
RecordKind: TypeAlias = Literal["episode"]


@dataclass(frozen=True, slots=True)
class Episode:
    """One message, observation or document chunk, verbatim and immutable.

    ``occurred_at`` is event time (when it happened); ``recorded_at`` is
    transaction time (when memstrata stored it). Both are aware UTC datetimes.
    ``deleted_at`` is set while the episode is soft-deleted.
    """

    id: str
    namespace: str
    content: str
    occurred_at: datetime
    recorded_at: datetime
    session_id: str | None = None
    speaker: str | None = None
    role: str | None = None
    metadata: Metadata = field(default_factory=dict)
    deleted_at: datetime | None = None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


@dataclass(frozen=True, slots=True)
class Message:
    """Input for ``Memory.add``: one message of a conversation.

    Only ``content`` is required. ``speaker`` names who said it (a person's
    name); ``role`` is the chat role (``user``, ``assistant``, ``tool`` ...).
    An ``id`` makes the add idempotent: adding the same id again returns the
    stored episode instead of a copy.
    """

    content: str
    speaker: str | None = None
    role: str | None = None
    occurred_at: datetime | None = None
    session_id: str | None = None
    metadata: Metadata = field(default_factory=dict)
    id: str | None = None


@dataclass(frozen=True, slots=True)
class Hit:
    """One search result, with the evidence that explains it.

    ``ranks`` maps each retriever that found the record to its 1-based rank
    there; ``episode_ids`` lists the episodes the record rests on.
    """

    id: str
    kind: RecordKind
    namespace: str
    text: str
    score: float
    occurred_at: datetime
    session_id: str | None
    speaker: str | None
    episode_ids: tuple[str, ...]
    ranks: Mapping[str, int]
    metadata: Metadata = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class NamespaceStats:
    """Counts for one namespace."""

    namespace: str
    episodes: int
    deleted: int
    sessions: int
    vectors: int
    pending_vectors: int
    first_occurred_at: datetime | None
    last_occurred_at: datetime | None


@dataclass(frozen=True, slots=True)
class StoreStats:
    """Counts for the whole store."""

    path: str
    schema_version: int
    embedder: str | None
    bytes_on_disk: int
    namespaces: tuple[NamespaceStats, ...]


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What ``Memory.import_`` did: ids added and ids already present."""

    added: int
    skipped: int
