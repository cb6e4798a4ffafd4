"""The Store protocol: what every backend provides, grouped by record.

A backend is the store of record. Everything else (the BM25 postings, the
vector matrix, an ANN graph) is rebuilt from it by replaying ``changes``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

import numpy as np

from memstrata.model import (
    Entity,
    Episode,
    Event,
    Fact,
    HistoryEntry,
    JobState,
    JSONValue,
    NamespaceStats,
    Note,
    Policy,
    Strength,
    Summary,
    SummaryLevel,
    Task,
)

ChangeOp = Literal["add", "delete", "restore", "purge", "embed"]


@dataclass(frozen=True, slots=True)
class NewEpisode:
    """An episode to persist, with its analyzed terms and (optional) vector."""

    episode: Episode
    terms: str
    vector: bytes | None


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """One replayed change, carrying what the in-memory indexes need."""

    change_seq: int
    op: ChangeOp
    seq: int
    terms: str | None = None
    occurred_us: int | None = None
    session_id: str | None = None
    speaker: str | None = None
    vector: bytes | None = None
    role: str | None = None


@dataclass(frozen=True, slots=True)
class PendingVector:
    """An episode whose vector for the current model is missing."""

    namespace: str
    seq: int
    content: str
    speaker: str | None


@dataclass(slots=True)
class ChangeSet:
    """Everything one resolution pass writes, applied in one transaction.

    ``sources`` are (record kind, record id, episode id) provenance links;
    ``history`` rows are (record kind, record id, action, reason, episode ids).
    """

    entities: list[tuple[Entity, str]] = field(default_factory=list)
    aliases: list[tuple[str, str, str]] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)
    closed: list[tuple[str, datetime]] = field(default_factory=list)
    expired: list[tuple[str, datetime]] = field(default_factory=list)
    notes: list[tuple[Note, str]] = field(default_factory=list)
    sources: list[tuple[str, str, str]] = field(default_factory=list)
    history: list[tuple[str, str, str, str, tuple[str, ...]]] = field(default_factory=list)
    extracted: list[str] = field(default_factory=list)
    links: list[tuple[str, str, float, str]] = field(default_factory=list)
    tags: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # the vectors of new notes' and facts' texts (record id -> float32 bytes)
    key_vectors: dict[str, bytes] = field(default_factory=dict)
    key_model: str | None = None


class EpisodeStore(Protocol):
    def add(self, namespace: str, items: Sequence[NewEpisode], model: str | None) -> list[Episode]:
        """Persist new episodes in one transaction; an id already stored is returned as is."""
        ...

    def get(self, namespace: str, episode_ids: Sequence[str]) -> list[Episode]: ...

    def by_seq(self, namespace: str, seqs: Sequence[int]) -> dict[int, tuple[Episode, str]]:
        """Live episodes of a namespace by seq, with their analyzed terms."""
        ...

    def set_deleted(
        self, namespace: str, episode_id: str, deleted_at: datetime | None
    ) -> Episode: ...

    def purge(self, namespace: str, episode_ids: Sequence[str]) -> int: ...

    def purge_namespace(self, namespace: str) -> int: ...

    def iterate(self, namespace: str, include_deleted: bool) -> Iterator[Episode]: ...

    def session(self, namespace: str, session_id: str, limit: int) -> list[Episode]:
        """The session's newest ``limit`` live episodes, oldest first."""
        ...

    def latest(self, namespace: str, session_id: str, limit: int) -> list[Episode]:
        """The session's ``limit`` live episodes stored last, in the order stored."""
        ...

    def with_id_prefix(
        self, namespace: str, prefix: str, *, live_only: bool = False, limit: int | None = None
    ) -> list[Episode]:
        """The namespace's episodes whose id begins with ``prefix`` (not empty),
        soft-deleted ones too unless ``live_only``, in the order they were stored;
        the first ``limit`` of them when given."""
        ...

    def seqs_of(self, namespace: str, episode_ids: Sequence[str]) -> set[int]:
        """Seqs of these episodes (those that exist in the namespace)."""
        ...

    def matching_metadata(self, namespace: str, where: dict[str, JSONValue]) -> set[int]: ...


class VectorBlob(bytes):
    """A vector as little-endian float32 bytes: a BLOB in SQLite, a pgvector
    ``vector`` in PostgreSQL (each backend adapts it to its column type)."""


class VectorStore(Protocol):
    def pending(self, model: str, limit: int, after: int = 0) -> list[PendingVector]:
        """Episodes past seq ``after`` without a vector of ``model``, in seq order."""
        ...

    def put(self, model: str, dims: int, rows: Sequence[tuple[str, int, bytes]]) -> None: ...

    def drop_all(self) -> None: ...


@runtime_checkable
class VectorSearch(Protocol):
    """A vector store that can search by itself (PostgreSQL with pgvector): dense
    search over a namespace too large to hold its vectors in a process."""

    def has_graph(self, namespace: str, model: str) -> bool:
        """Whether the namespace's HNSW index for ``model`` is built."""
        ...

    def build_graph(self, namespace: str, model: str, dims: int) -> None:
        """Build that index (idempotent; long: call it off the request path)."""
        ...

    def nearest(
        self,
        namespace: str,
        model: str,
        query: np.ndarray,
        k: int,
        among: Sequence[int] | None = None,
        breadth: int = 100,
    ) -> list[tuple[int, float]]:
        """(seq, inner product) of the ``k`` nearest vectors, best first, through
        the HNSW index searching ``breadth`` wide; with ``among``, only those seqs."""
        ...


class ChangeLog(Protocol):
    def since(
        self, namespace: str, change_seq: int, model: str | None, limit: int = 20_000
    ) -> list[IndexEntry]:
        """At most ``limit`` changes after ``change_seq``, in order, with the
        vectors of ``model`` for add/embed."""
        ...


class NamespaceCatalog(Protocol):
    def names(self) -> list[str]: ...

    def created_at(self, namespace: str) -> int | None: ...

    def stats(self, namespace: str, model: str | None) -> NamespaceStats | None: ...


@dataclass(frozen=True, slots=True)
class RecallRow:
    """A derived record an episode is a source of, as recall indexes it: a note's
    or fact's text (keys that point back to the episode) or an entity's name."""

    seq: int
    record_kind: str
    record_id: str
    text: str
    kind: str
    vector: bytes | None = None  # a note's or fact's stored key vector, of the asked model


class StructureStore(Protocol):
    """Entities, facts, notes and their history."""

    def recall_rows(
        self, namespace: str, after: int, limit: int, model: str | None = None
    ) -> tuple[int, list[RecallRow]]:
        """Records of the episodes whose structure was written after log position
        ``after`` (in log order, at most ``limit`` episodes): (new position, rows)."""
        ...

    def apply(self, namespace: str, changes: ChangeSet, extractor: str, at: datetime) -> None:
        """Write a resolution pass in one transaction. Raises AlreadyExtracted, writing
        nothing, when an episode of ``changes.extracted`` is no longer queued (another
        process extracted it meanwhile: optimistic concurrency). A pass that marks
        episodes extracted may commit without waiting for the disk: if a crash
        undoes it, its episodes are still queued and extracted again."""
        ...

    def entity_by_norm(self, namespace: str, norm: str) -> Entity | None:
        """The entity whose normalised name or alias is ``norm``."""
        ...

    def entity_ref(self, namespace: str, norm: str) -> tuple[str, str, str] | None:
        """(id, name, kind) of the entity whose normalised name or alias is ``norm``:
        the cheap lookup resolution needs (no aliases, no sources)."""
        ...

    def entity_names(
        self, namespace: str, since: datetime | None = None
    ) -> list[tuple[str, str, str]]:
        """(entity id, normalised name or alias, kind) of every entity; with
        ``since``, only the names of the entities created at or after it."""
        ...

    def entities(
        self, namespace: str, *, ids: Sequence[str] | None = None, kind: str | None = None
    ) -> list[Entity]: ...

    def facts(
        self,
        namespace: str,
        *,
        subject_id: str | None = None,
        predicate: str | None = None,
        entity_id: str | None = None,
    ) -> list[Fact]:
        """Facts in every state, ordered by valid_at; ``entity_id`` matches either end."""
        ...

    def notes(
        self,
        namespace: str,
        *,
        kind: str | None = None,
        norm: str | None = None,
        speaker: str | None = None,
        limit: int = 1000,
        include_archived: bool = True,
        ids: Sequence[str] | None = None,
    ) -> list[Note]: ...

    def history(self, namespace: str, record_kind: str, record_id: str) -> list[HistoryEntry]: ...

    def mentions(self, namespace: str) -> list[tuple[str, str]]:
        """(episode id, entity id) for every live episode that names a person, place
        or thing (dates and quantities left out)."""
        ...

    def related_notes(self, namespace: str, keywords: Sequence[str], limit: int) -> list[Note]:
        """Notes sharing the most of ``keywords``, most shared first, as references:
        their episode ids and links are not read (empty)."""
        ...

    def queued(self, namespace: str, limit: int) -> list[int]:
        """Seqs of live episodes waiting for extraction, oldest first."""
        ...

    def queued_namespaces(self) -> list[str]:
        """Namespaces with episodes waiting for extraction."""
        ...


@dataclass(frozen=True, slots=True)
class Turn:
    """What segmentation needs of an episode."""

    seq: int
    episode_id: str
    occurred_at: datetime
    text: str
    vector: bytes | None


class EventStore(Protocol):
    def session_tail(
        self, namespace: str, session_id: str | None, model: str, limit: int
    ) -> list[Turn]:
        """The session's newest ``limit`` live episodes, oldest first, with vectors of ``model``."""
        ...

    def replace(
        self, namespace: str, covered: Sequence[int], events: Sequence[tuple[Event, Sequence[int]]]
    ) -> None:
        """Drop the events holding any ``covered`` seq; store ``events`` (with their seqs)."""
        ...

    def take_dirty(self, namespace: str) -> list[str | None]:
        """Sessions changed since last segmented (None: no session); clears the marks."""
        ...

    def mark_dirty(self, namespace: str, sessions: Sequence[str | None]) -> None: ...

    def dirty_namespaces(self) -> list[str]: ...

    def list(self, namespace: str, session_id: str | None = None) -> list[Event]: ...


@dataclass(frozen=True, slots=True)
class JobRow:
    """A stored job, with what only the worker needs (params, cursor, owner)."""

    id: str
    namespace: str
    kind: str
    state: JobState
    params: dict[str, JSONValue]
    phase: str
    cursor: dict[str, JSONValue]
    done: int
    total: int
    attempts: int
    owner: str | None
    heartbeat_at: datetime | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None
    result: dict[str, JSONValue]


class DynamicsStore(Protocol):
    """Strength of notes and summaries, the summary tree, forgetting policies."""

    def strengths(
        self, namespace: str, record_kind: str, ids: Sequence[str] | None = None
    ) -> dict[str, Strength]:
        """Stored states by record id (a note never touched has none: see dynamics)."""
        ...

    def put_strengths(
        self, namespace: str, states: Sequence[Strength], history: Sequence[tuple[str, str]] = ()
    ) -> None: ...

    def archive(
        self, namespace: str, states: Sequence[Strength], reasons: Sequence[str], at: datetime
    ) -> int: ...

    def unarchive(self, namespace: str, record_kind: str, record_id: str, at: datetime) -> bool: ...

    def note_ids_of(self, namespace: str, episode_ids: Sequence[str]) -> list[str]: ...

    def fact_episodes(self, namespace: str, episode_ids: Sequence[str]) -> set[str]:
        """Those of these episodes that a live (unexpired) fact comes from."""
        ...

    def merge_note(
        self, namespace: str, survivor: Strength, merged: Strength, reason: str, at: datetime
    ) -> None: ...

    def fingerprints(self, namespace: str, level: SummaryLevel) -> dict[str, str]: ...

    def put_summaries(
        self, namespace: str, summaries: Sequence[tuple[Summary, str]], strength: Strength
    ) -> None: ...

    def drop_summaries(self, namespace: str, level: SummaryLevel, keep: Sequence[str]) -> int: ...

    def summaries(
        self,
        namespace: str,
        *,
        level: SummaryLevel | None = None,
        ids: Sequence[str] | None = None,
        include_archived: bool = False,
    ) -> list[Summary]: ...

    def policy(self, namespace: str) -> Policy | None: ...

    def policies(self) -> list[Policy]: ...

    def set_policy(self, policy: Policy) -> None: ...


class JobStore(Protocol):
    """The durable job table."""

    def enqueue(
        self, job_id: str, namespace: str, kind: str, params: Mapping[str, JSONValue], at: datetime
    ) -> JobRow: ...

    def claim(
        self, owner: str, at: datetime, stale: Sequence[str], job_id: str | None = None
    ) -> JobRow | None: ...

    def running_owners(self) -> list[tuple[str, datetime | None]]: ...

    def progress(
        self,
        job_id: str,
        owner: str,
        phase: str,
        cursor: Mapping[str, JSONValue],
        done: int,
        total: int,
        at: datetime,
    ) -> bool: ...

    def finish(
        self,
        job_id: str,
        owner: str,
        state: JobState,
        at: datetime,
        result: Mapping[str, JSONValue] | None = None,
        error: str | None = None,
    ) -> None: ...

    def get(self, job_id: str) -> JobRow | None: ...

    def list(self, namespace: str | None, limit: int) -> list[JobRow]: ...


class TaskStore(Protocol):
    """Working memory: tasks and their subgoals (their steps are episodes)."""

    def open_task(self, namespace: str, task_id: str, title: str, at: datetime) -> None: ...

    def open_subgoal(self, task_id: str, subgoal_id: str, title: str, at: datetime) -> None: ...

    def close(self, table: str, record_id: str, note_id: str | None, at: datetime) -> None: ...

    def get(self, namespace: str, task_id: str) -> Task | None: ...

    def list(self, namespace: str, open_only: bool, limit: int) -> list[Task]: ...


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A key of the REST service: which namespaces it may touch (``*``: all), and
    whether it may manage keys. Only a hash of its secret is stored."""

    id: str
    name: str
    namespaces: tuple[str, ...]
    is_admin: bool
    rate_per_minute: int | None
    created_at: datetime
    revoked_at: datetime | None = None


class KeyStore(Protocol):
    def put(self, key: ApiKey, secret_hash: str) -> None: ...

    def get(self, key_id: str) -> tuple[ApiKey, str] | None:
        """The key and its secret's hash, revoked or not."""
        ...

    def list(self) -> list[ApiKey]: ...

    def revoke(self, key_id: str, at: datetime) -> bool: ...


class Store(Protocol):
    """A backend: groups of methods by record, plus store-wide metadata."""

    @property
    def episodes(self) -> EpisodeStore: ...

    @property
    def vectors(self) -> VectorStore: ...

    @property
    def changes(self) -> ChangeLog: ...

    @property
    def namespaces(self) -> NamespaceCatalog: ...

    @property
    def structure(self) -> StructureStore: ...

    @property
    def events(self) -> EventStore: ...

    @property
    def dynamics(self) -> DynamicsStore: ...

    @property
    def jobs(self) -> JobStore: ...

    @property
    def tasks(self) -> TaskStore: ...

    @property
    def keys(self) -> KeyStore: ...

    @property
    def path(self) -> str: ...

    @property
    def schema_version(self) -> int: ...

    def get_meta(self, key: str) -> str | None: ...

    def set_meta(self, key: str, value: str) -> None: ...

    def bytes_on_disk(self) -> int: ...

    def side_path(self, name: str) -> Path | None:
        """Where a rebuildable side index called ``name`` may be cached (None: nowhere)."""
        ...

    def remove_side_files(self, names: Sequence[str]) -> None:
        """Delete these cached side files; a name ending in "/" means the whole folder."""
        ...

    def integrity_ok(self) -> bool: ...

    def close(self) -> None: ...
