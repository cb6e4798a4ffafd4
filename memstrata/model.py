"""Records: what memstrata stores and returns. Imports nothing from the package."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, TypeAlias, get_args

from typing_extensions import TypeAliasType

# A named recursive alias, so pydantic (the REST API's schemas) can describe it.
JSONValue = TypeAliasType(
    "JSONValue", "str | int | float | bool | list[JSONValue] | dict[str, JSONValue] | None"
)
Metadata: TypeAlias = Mapping[str, JSONValue]
RecordKind: TypeAlias = Literal["episode"]
NoteKind: TypeAlias = Literal["fact", "preference", "plan", "event", "opinion"]
NOTE_KINDS: tuple[str, ...] = get_args(NoteKind)
# what an entity can be ("thing": what someone calls theirs, "Maya's pottery class")
ENTITY_KINDS: tuple[str, ...] = (
    "person",
    "place",
    "organization",
    "pet",
    "thing",
    "date",
    "quantity",
    "other",
)


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

    def says_the_same(self, other: Episode) -> bool:
        """Whether ``other`` (under the same id) is the same message: the same
        content, and the same speaker, role and session where ``other`` sets
        them. Adding it again is then a no-op."""
        labels = (
            (self.speaker, other.speaker),
            (self.role, other.role),
            (self.session_id, other.session_id),
        )
        return self.content == other.content and all(t is None or m == t for m, t in labels)


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
class Filters:
    """Which episodes recall may draw on: one session, one speaker, the window
    ``since <= occurred_at < until`` (aware datetimes or ISO 8601 text with an
    offset), and equality on each metadata key given. ``Memory.search`` and
    ``Memory.context`` take it as ``filters=``; the REST bodies, the CLI options
    and the MCP tools carry the same fields under the same names."""

    session_id: str | None = None
    speaker: str | None = None
    since: datetime | str | None = None
    until: datetime | str | None = None
    metadata: Metadata | None = None


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
class Ref:
    """What a label in a context block stands for: ``[3]`` is episode or fact ``id``."""

    label: str
    kind: Literal["episode", "fact"]
    id: str


@dataclass(frozen=True, slots=True)
class Context:
    """A prompt-ready block of recalled memory (``text``), the records its short
    labels cite (``refs``, in the order they appear), and its size: ``tokens``
    as ``tokenizer`` counts them, never more than ``token_budget``."""

    text: str
    refs: tuple[Ref, ...]
    tokens: int
    token_budget: int
    tokenizer: str

    def __str__(self) -> str:
        return self.text

    def ids(self, kind: Literal["episode", "fact"] = "episode") -> list[str]:
        """The ids of the records of ``kind`` the block shows, in its order."""
        return [r.id for r in self.refs if r.kind == kind]


@dataclass(frozen=True, slots=True)
class Answer:
    """What the reader LLM made of recalled memory: its notes on the recalled
    lines, its answer, the context it was given, and what the call cost."""

    text: str
    notes: tuple[str, ...]
    context: Context
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
    extraction_failed: int = 0  # queued episodes whose extraction failed in this process


class Added(list[Episode]):
    """The episodes ``add()`` stored, in order. ``already_present`` holds the ids
    that were stored before (the same message under the same id: nothing new was
    written for them). ``extraction_failed`` holds the ids of those whose
    extraction failed: they are stored and searchable, and stay queued for the
    next attempt (the worker's or ``flush()``)."""

    already_present: tuple[str, ...] = ()
    extraction_failed: tuple[str, ...] = ()


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
class Document:
    """One version of a JSON document kept under a key (``memstrata.documents``).

    ``created_at`` is when the key's current life began (its first version, or
    the first after a delete); ``updated_at`` when this version was stored;
    ``ended_at`` when a newer version replaced it or it was deleted (None while
    it is the current one). ``text`` is what search reads.
    """

    namespace: str
    key: str
    value: Mapping[str, JSONValue]
    version: int
    episode_id: str
    text: str
    created_at: datetime
    updated_at: datetime
    ended_at: datetime | None = None
    is_searchable: bool = True


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


Layer: TypeAlias = Literal["working", "short", "long", "reflection"]
SummaryLevel: TypeAlias = Literal["event", "topic", "profile"]
JobState: TypeAlias = Literal["queued", "running", "done", "failed"]


@dataclass(frozen=True, slots=True)
class Strength:
    """How firmly a note or summary is held: retention = exp(−Δt / S).

    ``stability_days`` is S; Δt runs from ``reinforced_at`` (its making, or
    its last recall). ``layer`` sets the base half-life; ``is_pinned`` keeps
    retention at or above the pinned floor. An archived record is hidden from
    listings until restored; it is never deleted.
    """

    record_kind: str
    record_id: str
    namespace: str
    layer: Layer
    importance: float
    stability_days: float
    reinforced_at: datetime
    recalls: int = 0
    is_pinned: bool = False
    archived_at: datetime | None = None
    archive_reason: str | None = None

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


@dataclass(frozen=True, slots=True)
class Summary:
    """A node of the summary tree: an event's summary (children: episodes), a
    topic's (children: event summaries) or the namespace profile (children:
    facts and notes). ``children`` are ids of ``child_kind`` records."""

    id: str
    namespace: str
    level: SummaryLevel
    title: str
    text: str
    started_at: datetime
    ended_at: datetime
    updated_at: datetime
    child_kind: str
    children: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ProfileLine:
    """One stable thing known about someone, with where it comes from.

    ``previously`` lists what it replaced (a former city, a former job), oldest
    first, each with the date it stopped being true."""

    subject: str
    statement: str
    record_kind: str
    record_id: str
    since: datetime
    episode_ids: tuple[str, ...]
    previously: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Profile:
    """The namespace's portrait: current facts and preferences, each with provenance."""

    namespace: str
    lines: tuple[ProfileLine, ...]
    built_at: datetime


@dataclass(frozen=True, slots=True)
class Forgotten:
    """A note or summary that fell (or would fall) below the forgetting threshold."""

    record_kind: str
    record_id: str
    text: str
    layer: Layer
    retention: float
    reason: str


@dataclass(frozen=True, slots=True)
class Policy:
    """When a namespace forgets and consolidates on its own (None: never)."""

    namespace: str
    forget_below: float | None = None
    forget_every_s: int | None = None
    consolidate_every_s: int | None = None
    last_forget_at: datetime | None = None
    last_consolidate_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Job:
    """A background job: durable, idempotent, resumed after a crash."""

    id: str
    namespace: str
    kind: str
    state: JobState
    phase: str
    done: int
    total: int
    attempts: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None = None
    result: Mapping[str, JSONValue] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Subgoal:
    """A step of a task in working memory; closed into a summary note."""

    id: str
    task_id: str
    title: str
    opened_at: datetime
    closed_at: datetime | None
    note_id: str | None
    steps: int


@dataclass(frozen=True, slots=True)
class Task:
    """An agent's task in working memory: its subgoals, the active one last."""

    id: str
    namespace: str
    title: str
    opened_at: datetime
    closed_at: datetime | None
    note_id: str | None
    subgoals: tuple[Subgoal, ...]

    @property
    def active(self) -> Subgoal | None:
        last = self.subgoals[-1] if self.subgoals else None
        return last if last is not None and last.closed_at is None else None
