"""The store's tables, defined once: each backend renders its DDL from them
(``ddl.py``) when it creates a new database. The numbered migrations of each
backend stay as written; they bring a database of an older version up to
these tables, and a test checks that both roads end in the same schema.

Types are the store's own: ``int`` (64-bit), ``int32``, ``real``, ``text``,
``blob`` and ``vector`` (an embedding: a blob in SQLite, pgvector's type in
PostgreSQL). A column is NOT NULL unless ``null``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ColumnType = Literal["int", "int32", "real", "text", "blob", "vector"]


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    null: bool = False
    default: str | None = None  # an SQL literal
    allowed: tuple[str, ...] = ()  # CHECK (name IN (...))
    references: str | None = None  # "table(column)"
    on_delete: Literal["", "CASCADE", "SET NULL"] = ""


@dataclass(frozen=True)
class Index:
    name: str
    columns: tuple[str, ...]
    # Rows of equal keys are read in insertion order: SQLite's indexes end in the
    # rowid by themselves; PostgreSQL's gets the table's identity column.
    in_order: bool = False


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    unique: tuple[tuple[str, ...], ...] = ()
    indexes: tuple[Index, ...] = ()
    serial: bool = False  # the one-column key is numbered by the database
    # Queries read the order rows were inserted in (SQLite's implicit rowid;
    # PostgreSQL gets an identity column of that name).
    in_order: bool = False
    immutable: tuple[str, ...] = ()  # columns an update must not touch

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _ns() -> Column:
    return Column("namespace", "text", references="namespaces(name)")


def _episode(on_delete: Literal["", "CASCADE", "SET NULL"] = "CASCADE") -> Column:
    return Column("seq", "int", references="episodes(seq)", on_delete=on_delete)


_EPISODE_COLUMNS = (
    "episode_id",
    "namespace",
    "session_id",
    "speaker",
    "role",
    "content",
    "occurred_at",
    "recorded_at",
    "metadata",
)

_TABLES = (
    Table("meta", (Column("key", "text"), Column("value", "text")), key=("key",)),
    Table("namespaces", (Column("name", "text"), Column("created_at", "int")), key=("name",)),
    Table(
        "episodes",
        (
            Column("seq", "int"),
            Column("episode_id", "text"),
            _ns(),
            Column("session_id", "text", null=True),
            Column("speaker", "text", null=True),
            Column("role", "text", null=True),
            Column("content", "text"),
            Column("terms", "text"),
            Column("occurred_at", "int"),
            Column("recorded_at", "int"),
            Column("metadata", "text", default="'{}'"),
            Column("deleted_at", "int", null=True),
        ),
        key=("seq",),
        serial=True,
        unique=(("namespace", "episode_id"),),
        indexes=(
            Index("episodes_by_time", ("namespace", "occurred_at")),
            Index("episodes_by_session", ("namespace", "session_id")),
        ),
        immutable=_EPISODE_COLUMNS,
    ),
    Table(
        "vectors",
        (
            _episode(),
            Column("model", "text"),
            Column("dims", "int32"),
            Column("vector", "vector"),
        ),
        key=("seq",),
    ),
    Table(
        "changes",
        (
            Column("change_seq", "int"),
            Column("namespace", "text"),
            Column("seq", "int"),
            Column("op", "text", allowed=("add", "delete", "restore", "purge", "embed")),
        ),
        key=("change_seq",),
        serial=True,
        indexes=(Index("changes_by_namespace", ("namespace", "change_seq")),),
    ),
    Table(
        "entities",
        (
            Column("entity_id", "text"),
            _ns(),
            Column("name", "text"),
            Column("norm", "text"),
            Column("kind", "text"),
            Column("created_at", "int"),
        ),
        key=("entity_id",),
        unique=(("namespace", "norm"),),
        indexes=(Index("entities_by_created", ("namespace", "created_at")),),
    ),
    Table(
        "entity_aliases",
        (
            Column("entity_id", "text", references="entities(entity_id)", on_delete="CASCADE"),
            Column("namespace", "text"),
            Column("alias", "text"),
            Column("norm", "text"),
        ),
        key=("entity_id", "norm"),
        indexes=(Index("aliases_by_norm", ("namespace", "norm")),),
    ),
    Table(
        "facts",
        (
            Column("fact_id", "text"),
            _ns(),
            Column("subject_id", "text", references="entities(entity_id)", on_delete="CASCADE"),
            Column("predicate", "text"),
            Column("object", "text"),
            Column(
                "object_id",
                "text",
                null=True,
                references="entities(entity_id)",
                on_delete="SET NULL",
            ),
            Column("statement", "text"),
            Column("valid_at", "int"),
            Column("invalid_at", "int", null=True),
            Column("created_at", "int"),
            Column("expired_at", "int", null=True),
            Column("key_vector", "blob", null=True),
            Column("key_model", "text", null=True),
        ),
        key=("fact_id",),
        indexes=(
            Index("facts_by_subject", ("namespace", "subject_id", "predicate")),
            Index("facts_by_object", ("namespace", "object_id")),
        ),
    ),
    Table(
        "notes",
        (
            Column("note_id", "text"),
            _ns(),
            Column("kind", "text"),
            Column("text", "text"),
            Column("norm", "text"),
            Column("keywords", "text"),
            Column("speaker", "text", null=True),
            Column("occurred_at", "int"),
            Column("created_at", "int"),
            Column("tags", "text", default="''"),
            Column("key_vector", "blob", null=True),
            Column("key_model", "text", null=True),
        ),
        key=("note_id",),
        indexes=(Index("notes_by_norm", ("namespace", "norm")),),
    ),
    Table(
        "sources",
        (
            Column("record_kind", "text", allowed=("entity", "fact", "note")),
            Column("record_id", "text"),
            _episode(),
        ),
        key=("record_kind", "record_id", "seq"),
        indexes=(Index("sources_by_episode", ("seq", "record_kind", "record_id")),),
    ),
    Table(
        "history",
        (
            Column("history_seq", "int"),
            Column("namespace", "text"),
            Column("record_kind", "text"),
            Column("record_id", "text"),
            Column("action", "text"),
            Column("reason", "text"),
            Column("at", "int"),
            Column("episode_ids", "text", default="'[]'"),
        ),
        key=("history_seq",),
        serial=True,
        indexes=(Index("history_by_record", ("record_kind", "record_id")),),
    ),
    Table(
        "extracted",
        (_episode(), Column("extractor", "text"), Column("at", "int")),
        key=("seq",),
    ),
    Table("extraction_queue", (_episode(),), key=("seq",)),
    Table(
        "events",
        (
            Column("event_id", "text"),
            _ns(),
            Column("session_id", "text", null=True),
            Column("title", "text"),
            Column("started_at", "int"),
            Column("ended_at", "int"),
            Column("created_at", "int"),
        ),
        key=("event_id",),
        indexes=(Index("events_by_session", ("namespace", "session_id", "started_at")),),
    ),
    Table(
        "event_episodes",
        (
            _episode(),
            Column("event_id", "text", references="events(event_id)", on_delete="CASCADE"),
        ),
        key=("seq",),
        indexes=(Index("event_episodes_by_event", ("event_id",)),),
    ),
    Table(
        "note_keywords",
        (
            Column("note_id", "text", references="notes(note_id)", on_delete="CASCADE"),
            Column("namespace", "text"),
            Column("keyword", "text"),
        ),
        key=("note_id", "keyword"),
        in_order=True,
        indexes=(Index("note_keywords_by_keyword", ("namespace", "keyword"), in_order=True),),
    ),
    Table(
        "note_links",
        (
            Column("note_id", "text", references="notes(note_id)", on_delete="CASCADE"),
            Column("other_id", "text", references="notes(note_id)", on_delete="CASCADE"),
            Column("score", "real"),
            Column("reason", "text"),
            Column("created_at", "int"),
        ),
        key=("note_id", "other_id"),
    ),
    Table(
        "dirty_sessions",
        (Column("namespace", "text"), Column("session_key", "text")),
        key=("namespace", "session_key"),
    ),
    Table(
        "structure_log",
        (Column("log_seq", "int"), Column("namespace", "text"), _episode()),
        key=("log_seq",),
        serial=True,
        indexes=(
            Index("structure_log_by_namespace", ("namespace", "log_seq")),
            Index("structure_log_by_episode", ("seq",)),
        ),
    ),
    Table(
        "strength",
        (
            Column("record_kind", "text", allowed=("note", "summary")),
            Column("record_id", "text"),
            Column("namespace", "text"),
            Column("layer", "text", allowed=("working", "short", "long", "reflection")),
            Column("importance", "real"),
            Column("stability_days", "real"),
            Column("reinforced_at", "int"),
            Column("recalls", "int32", default="0"),
            Column("pinned", "int32", default="0"),
            Column("archived_at", "int", null=True),
            Column("archive_reason", "text", null=True),
        ),
        key=("record_kind", "record_id"),
        indexes=(Index("strength_by_namespace", ("namespace", "record_kind")),),
    ),
    Table(
        "summaries",
        (
            Column("summary_id", "text"),
            _ns(),
            Column("level", "text", allowed=("event", "topic", "profile")),
            Column("title", "text"),
            Column("text", "text"),
            Column("started_at", "int"),
            Column("ended_at", "int"),
            Column("fingerprint", "text"),
            Column("child_kind", "text"),
            Column("created_at", "int"),
            Column("updated_at", "int"),
        ),
        key=("summary_id",),
        indexes=(Index("summaries_by_level", ("namespace", "level", "started_at")),),
    ),
    Table(
        "summary_children",
        (
            Column("summary_id", "text", references="summaries(summary_id)", on_delete="CASCADE"),
            Column("position", "int32"),
            Column("child_id", "text"),
        ),
        key=("summary_id", "position"),
        indexes=(Index("summary_children_by_child", ("child_id",)),),
    ),
    Table(
        "jobs",
        (
            Column("job_id", "text"),
            Column("namespace", "text"),
            Column("kind", "text"),
            Column("state", "text", allowed=("queued", "running", "done", "failed")),
            Column("params", "text", default="'{}'"),
            Column("phase", "text", default="''"),
            Column("cursor", "text", default="'{}'"),
            Column("done", "int32", default="0"),
            Column("total", "int32", default="0"),
            Column("attempts", "int32", default="0"),
            Column("owner", "text", null=True),
            Column("heartbeat_at", "int", null=True),
            Column("created_at", "int"),
            Column("started_at", "int", null=True),
            Column("finished_at", "int", null=True),
            Column("error", "text", null=True),
            Column("result", "text", default="'{}'"),
        ),
        key=("job_id",),
        indexes=(Index("jobs_by_state", ("state", "created_at")),),
    ),
    Table(
        "policies",
        (
            Column("namespace", "text"),
            Column("forget_below", "real", null=True),
            Column("forget_every_s", "int", null=True),
            Column("consolidate_every_s", "int", null=True),
            Column("last_forget_at", "int", null=True),
            Column("last_consolidate_at", "int", null=True),
        ),
        key=("namespace",),
    ),
    Table(
        "tasks",
        (
            Column("task_id", "text"),
            _ns(),
            Column("title", "text"),
            Column("opened_at", "int"),
            Column("closed_at", "int", null=True),
            Column("note_id", "text", null=True),
        ),
        key=("task_id",),
        indexes=(Index("tasks_by_namespace", ("namespace", "opened_at")),),
    ),
    Table(
        "subgoals",
        (
            Column("subgoal_id", "text"),
            Column("task_id", "text", references="tasks(task_id)", on_delete="CASCADE"),
            Column("title", "text"),
            Column("opened_at", "int"),
            Column("closed_at", "int", null=True),
            Column("note_id", "text", null=True),
        ),
        key=("subgoal_id",),
        in_order=True,
        indexes=(Index("subgoals_by_task", ("task_id", "opened_at")),),
    ),
    Table(
        "api_keys",
        (
            Column("key_id", "text"),
            Column("secret_hash", "text"),
            Column("name", "text"),
            Column("namespaces", "text"),
            Column("is_admin", "int32", default="0"),
            Column("rate_per_minute", "int32", null=True),
            Column("created_at", "int"),
            Column("revoked_at", "int", null=True),
        ),
        key=("key_id",),
    ),
)

TABLES: dict[str, Table] = {t.name: t for t in _TABLES}
