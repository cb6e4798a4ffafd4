"""Records: what memstrata stores and returns. Imports nothing from the package."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, TypeAlias

JSONValue: TypeAlias = str | int | float | bool | list["JSONValue"] | dict[str, "JSONValue"] | None
Metadata: TypeAlias = Mapping[str, JSONValue]
RecordKind: TypeAlias = Literal["episode"]
NoteKind: TypeAlias = Literal["fact", "preference", "plan", "event", "opinion"]


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
class Answer:
    """What the reader LLM made of recalled memory: its notes on the recalled
    lines, its answer, the context it was given, and what the call cost."""

    text: str
    notes: tuple[str, ...]
    context: str
    model: str
    prompt_tokens: int
    completion_tokens: int


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
    entities: int = 0
    facts: int = 0
    notes: int = 0
    queued_for_extraction: int = 0


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


@dataclass(frozen=True, slots=True)
class Entity:
    """Someone or something the namespace talks about (a person, place, pet ...)."""

    id: str
    namespace: str
    name: str
    kind: str
    aliases: tuple[str, ...]
    created_at: datetime
    episode_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Fact:
    """``subject —predicate→ object``, bi-temporal and never deleted.

    World time: true from ``valid_at`` until ``invalid_at`` (None: still true).
    Belief time: memstrata held it from ``created_at`` until ``expired_at``
    (None: still held; set when a correction retracts it). A contradiction
    closes the old fact's ``invalid_at`` at the new fact's ``valid_at``.
    """

    id: str
    namespace: str
    subject_id: str
    subject: str
    predicate: str
    object: str
    object_id: str | None
    statement: str
    valid_at: datetime
    invalid_at: datetime | None
    created_at: datetime
    expired_at: datetime | None
    episode_ids: tuple[str, ...]

    def is_valid_at(self, at: datetime) -> bool:
        """True in the world at ``at`` (as memstrata believes now)."""
        return (
            self.expired_at is None
            and self.valid_at <= at
            and (self.invalid_at is None or at < self.invalid_at)
        )

    def was_believed_at(self, at: datetime) -> bool:
        """Held by memstrata at ``at`` (transaction time)."""
        return self.created_at <= at and (self.expired_at is None or at < self.expired_at)


@dataclass(frozen=True, slots=True)
class Note:
    """A distilled memory: one fact, preference, plan, event or opinion.

    ``tags`` are the entities it concerns (and those of notes linked to it
    later); ``links`` are the ids of related notes.
    """

    id: str
    namespace: str
    kind: NoteKind
    text: str
    keywords: tuple[str, ...]
    speaker: str | None
    occurred_at: datetime
    created_at: datetime
    episode_ids: tuple[str, ...]
    tags: tuple[str, ...] = ()
    links: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Event:
    """A run of contiguous episodes of one session that belong together."""

    id: str
    namespace: str
    session_id: str | None
    title: str
    started_at: datetime
    ended_at: datetime
    episode_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One change to a derived record: what, when and why."""

    seq: int
    namespace: str
    record_kind: str
    record_id: str
    action: str
    reason: str
    at: datetime
    episode_ids: tuple[str, ...]
