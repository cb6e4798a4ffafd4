"""The SQLite store's schema: a new file is made from the store's table
definitions (``store/sql/tables.py``); an older one goes through the numbered,
append-only migrations below, kept as they were written.

``PRAGMA user_version`` holds the schema version: the number of migrations
applied (or made unneeded). A store written by a newer memstrata raises
SchemaVersionError.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from memstrata.errors import SchemaVersionError
from memstrata.store.sql.dialect import SQLITE
from memstrata.store.sql.tables import TABLES


def m001_episodes(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE namespaces(
            name TEXT PRIMARY KEY,
            created_at INTEGER NOT NULL
        );
        CREATE TABLE episodes(
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            episode_id TEXT NOT NULL,
            namespace TEXT NOT NULL REFERENCES namespaces(name),
            session_id TEXT,
            speaker TEXT,
            role TEXT,
            content TEXT NOT NULL,
            terms TEXT NOT NULL,
            occurred_at INTEGER NOT NULL,
            recorded_at INTEGER NOT NULL,
            metadata TEXT NOT NULL DEFAULT '{}',
            deleted_at INTEGER,
            UNIQUE(namespace, episode_id)
        );
        CREATE INDEX episodes_by_time ON episodes(namespace, occurred_at);
        CREATE INDEX episodes_by_session ON episodes(namespace, session_id);
        CREATE TRIGGER episodes_are_immutable
        BEFORE UPDATE OF episode_id, namespace, session_id, speaker, role, content,
                         occurred_at, recorded_at, metadata ON episodes
        BEGIN SELECT RAISE(ABORT, 'episodes are immutable'); END;
        CREATE TABLE vectors(
            seq INTEGER PRIMARY KEY REFERENCES episodes(seq) ON DELETE CASCADE,
            model TEXT NOT NULL,
            dims INTEGER NOT NULL,
            vector BLOB NOT NULL
        );
        CREATE TABLE changes(
            change_seq INTEGER PRIMARY KEY AUTOINCREMENT,
            namespace TEXT NOT NULL,
            seq INTEGER NOT NULL,
            op TEXT NOT NULL CHECK (op IN ('add', 'delete', 'restore', 'purge', 'embed'))
        );
        CREATE INDEX changes_by_namespace ON changes(namespace, change_seq);
        """,
    )


def m002_structured(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        CREATE TABLE entities(
            entity_id TEXT PRIMARY KEY,
            namespace TEXT NOT NULL REFERENCES namespaces(name),
            name TEXT NOT NULL,
            norm TEXT NOT NULL,
            kind TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            UNIQUE(namespace, norm)
        );
        CREATE TABLE entity_aliases(
            entity_id TEXT NOT NULL REFERENCES entities(entity_id) ON DELETE CASCADE,
            namespace TEXT NOT NULL,
            alias TEXT NOT NULL,
            norm TEXT NOT NULL,
            PRIMARY KEY(entity_id, norm)
        );
        CREATE INDEX aliases_by_norm ON entity_aliases(namespace, norm);
        CREATE TABLE facts(
            fact_id TEXT PRIMARY KEY,
            namespace TEXT NOT NULL REFERENCES namespaces(name),
            subject_id TEXT NOT NULL REFERENCES entities(entity_id) ON DELETE CASCADE,
            predicate TEXT NOT NULL,
            object TEXT NOT NULL,
            object_id TEXT REFERENCES entities(entity_id) ON DELETE SET NULL,
            statement TEXT NOT NULL,
            valid_at INTEGER NOT NULL,
            invalid_at INTEGER,
            created_at INTEGER NOT NULL,
            expired_at INTEGER
        );
        CREATE INDEX facts_by_subject ON facts(namespace, subject_id, predicate);
        CREATE INDEX facts_by_object ON facts(namespace, object_id);
        CREATE TABLE notes(
            note_id TEXT PRIMARY KEY,
            namespace TEXT NOT NULL REFERENCES namespaces(name),
            kind TEXT NOT NULL,
            text TEXT NOT NULL,
            norm TEXT NOT NULL,
            keywords TEXT NOT NULL,
            speaker TEXT,
            occurred_at INTEGER NOT NULL,
            created_at INTEGER NOT NULL
        );
        CREATE INDEX notes_by_norm ON notes(namespace, norm);
        CREATE TABLE sources(
            record_kind TEXT NOT NULL CHECK (record_kind IN ('entity', 'fact', 'note')),
            record_id TEXT NOT NULL,
            seq INTEGER NOT NULL REFERENCES episodes(seq) ON DELETE CASCADE,
            PRIMARY KEY(record_kind, record_id, seq)
        );
        CREATE INDEX sources_by_episode ON sources(seq);
        CREATE TABLE history(
            history_seq INTEGER PRIMARY KEY AUTOINCREMENT,
            namespace TEXT NOT NULL,
            record_kind TEXT NOT NULL,
            record_id TEXT NOT NULL,
            action TEXT NOT NULL,
            reason TEXT NOT NULL,
            at INTEGER NOT NULL,
            episode_ids TEXT NOT NULL DEFAULT '[]'
        );
        CREATE INDEX history_by_record ON history(record_kind, record_id);
        CREATE TABLE extracted(
            seq INTEGER PRIMARY KEY REFERENCES episodes(seq) ON DELETE CASCADE,
            extractor TEXT NOT NULL,
            at INTEGER NOT NULL
        );
        CREATE TABLE extraction_queue(
            seq INTEGER PRIMARY KEY REFERENCES episodes(seq) ON DELETE CASCADE
        );
        INSERT INTO extraction_queue(seq) SELECT seq FROM episodes;
        """,
    )


def m003_events(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        CREATE TABLE events(
            event_id TEXT PRIMARY KEY,
            namespace TEXT NOT NULL REFERENCES namespaces(name),
            session_id TEXT,
            title TEXT NOT NULL,
            started_at INTEGER NOT NULL,
            ended_at INTEGER NOT NULL,
            created_at INTEGER NOT NULL
        );
        CREATE INDEX events_by_session ON events(namespace, session_id, started_at);
        CREATE TABLE event_episodes(
            seq INTEGER PRIMARY KEY REFERENCES episodes(seq) ON DELETE CASCADE,
            event_id TEXT NOT NULL REFERENCES events(event_id) ON DELETE CASCADE
        );
        CREATE INDEX event_episodes_by_event ON event_episodes(event_id);
        """,
    )


def m004_note_links(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        ALTER TABLE notes ADD COLUMN tags TEXT NOT NULL DEFAULT '';
        CREATE TABLE note_keywords(
            note_id TEXT NOT NULL REFERENCES notes(note_id) ON DELETE CASCADE,
            namespace TEXT NOT NULL,
            keyword TEXT NOT NULL,
            PRIMARY KEY(note_id, keyword)
        );
        CREATE INDEX note_keywords_by_keyword ON note_keywords(namespace, keyword);
        CREATE TABLE note_links(
            note_id TEXT NOT NULL REFERENCES notes(note_id) ON DELETE CASCADE,
            other_id TEXT NOT NULL REFERENCES notes(note_id) ON DELETE CASCADE,
            score REAL NOT NULL,
            reason TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            PRIMARY KEY(note_id, other_id)
        );
        """,
    )
    rows = conn.execute("SELECT note_id, namespace, keywords FROM notes").fetchall()
    conn.executemany(
        "INSERT OR IGNORE INTO note_keywords(note_id, namespace, keyword) VALUES (?, ?, ?)",
        [(note, namespace, k) for note, namespace, words in rows for k in str(words).split()],
    )


def m005_dirty_sessions(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        CREATE TABLE dirty_sessions(
            namespace TEXT NOT NULL,
            session_key TEXT NOT NULL,
            PRIMARY KEY(namespace, session_key)
        );
        """,
    )


def m006_structure_log(conn: sqlite3.Connection) -> None:
    """Which episodes' structure was written, in order: recall indexes replay it."""
    run_script(
        conn,
        """
        CREATE TABLE structure_log(
            log_seq INTEGER PRIMARY KEY AUTOINCREMENT,
            namespace TEXT NOT NULL,
            seq INTEGER NOT NULL REFERENCES episodes(seq) ON DELETE CASCADE
        );
        CREATE INDEX structure_log_by_namespace ON structure_log(namespace, log_seq);
        CREATE INDEX structure_log_by_episode ON structure_log(seq);
        INSERT INTO structure_log(namespace, seq)
            SELECT e.namespace, x.seq FROM extracted x JOIN episodes e ON e.seq = x.seq
            ORDER BY x.seq;
        """,
    )


def m007_dynamics(conn: sqlite3.Connection) -> None:
    """Strength of notes and summaries, the summary tree, jobs, policies, working memory."""
    run_script(
        conn,
        """
        CREATE TABLE strength(
            record_kind TEXT NOT NULL CHECK (record_kind IN ('note', 'summary')),
            record_id TEXT NOT NULL,
            namespace TEXT NOT NULL,
            layer TEXT NOT NULL CHECK (layer IN ('working', 'short', 'long', 'reflection')),
            importance REAL NOT NULL,
            stability_days REAL NOT NULL,
            reinforced_at INTEGER NOT NULL,
            recalls INTEGER NOT NULL DEFAULT 0,
            pinned INTEGER NOT NULL DEFAULT 0,
            archived_at INTEGER,
            archive_reason TEXT,
            PRIMARY KEY(record_kind, record_id)
        );
        CREATE INDEX strength_by_namespace ON strength(namespace, record_kind);
        CREATE TABLE summaries(
            summary_id TEXT PRIMARY KEY,
            namespace TEXT NOT NULL REFERENCES namespaces(name),
            level TEXT NOT NULL CHECK (level IN ('event', 'topic', 'profile')),
            title TEXT NOT NULL,
            text TEXT NOT NULL,
            started_at INTEGER NOT NULL,
            ended_at INTEGER NOT NULL,
            fingerprint TEXT NOT NULL,
            child_kind TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );
        CREATE INDEX summaries_by_level ON summaries(namespace, level, started_at);
        CREATE TABLE summary_children(
            summary_id TEXT NOT NULL REFERENCES summaries(summary_id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            child_id TEXT NOT NULL,
            PRIMARY KEY(summary_id, position)
        );
        CREATE INDEX summary_children_by_child ON summary_children(child_id);
        CREATE TABLE jobs(
            job_id TEXT PRIMARY KEY,
            namespace TEXT NOT NULL,
            kind TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
            params TEXT NOT NULL DEFAULT '{}',
            phase TEXT NOT NULL DEFAULT '',
            cursor TEXT NOT NULL DEFAULT '{}',
            done INTEGER NOT NULL DEFAULT 0,
            total INTEGER NOT NULL DEFAULT 0,
            attempts INTEGER NOT NULL DEFAULT 0,
            owner TEXT,
            heartbeat_at INTEGER,
            created_at INTEGER NOT NULL,
            started_at INTEGER,
            finished_at INTEGER,
            error TEXT,
            result TEXT NOT NULL DEFAULT '{}'
        );
        CREATE INDEX jobs_by_state ON jobs(state, created_at);
        CREATE TABLE policies(
            namespace TEXT PRIMARY KEY,
            forget_below REAL,
            forget_every_s INTEGER,
            consolidate_every_s INTEGER,
            last_forget_at INTEGER,
            last_consolidate_at INTEGER
        );
        CREATE TABLE tasks(
            task_id TEXT PRIMARY KEY,
            namespace TEXT NOT NULL REFERENCES namespaces(name),
            title TEXT NOT NULL,
            opened_at INTEGER NOT NULL,
            closed_at INTEGER,
            note_id TEXT
        );
        CREATE INDEX tasks_by_namespace ON tasks(namespace, opened_at);
        CREATE TABLE subgoals(
            subgoal_id TEXT PRIMARY KEY,
            task_id TEXT NOT NULL REFERENCES tasks(task_id) ON DELETE CASCADE,
            title TEXT NOT NULL,
            opened_at INTEGER NOT NULL,
            closed_at INTEGER,
            note_id TEXT
        );
        CREATE INDEX subgoals_by_task ON subgoals(task_id, opened_at);
        """,
    )


def m008_api_keys(conn: sqlite3.Connection) -> None:
    """API keys of the REST service, stored hashed, each scoped to namespaces."""
    run_script(
        conn,
        """
        CREATE TABLE api_keys(
            key_id TEXT PRIMARY KEY,
            secret_hash TEXT NOT NULL,
            name TEXT NOT NULL,
            namespaces TEXT NOT NULL,
            is_admin INTEGER NOT NULL DEFAULT 0,
            rate_per_minute INTEGER,
            created_at INTEGER NOT NULL,
            revoked_at INTEGER
        );
        """,
    )


def m009_many_tenant_indexes(conn: sqlite3.Connection) -> None:
    """Indexes for a file of many tenants: entities by creation time (entity
    resolution catches up with the names other processes created without reading
    every name again); an episode's sources by kind, covering (what a search
    reinforces is found without walking every source of that kind). Notes and
    facts keep the vector of their text (``key_vector``, made by ``key_model``),
    so opening a store replays keys instead of embedding them again."""
    run_script(
        conn,
        """
        CREATE INDEX entities_by_created ON entities(namespace, created_at);
        DROP INDEX sources_by_episode;
        CREATE INDEX sources_by_episode ON sources(seq, record_kind, record_id);
        ALTER TABLE notes ADD COLUMN key_vector BLOB;
        ALTER TABLE notes ADD COLUMN key_model TEXT;
        ALTER TABLE facts ADD COLUMN key_vector BLOB;
        ALTER TABLE facts ADD COLUMN key_model TEXT;
        """,
    )


def run_script(conn: sqlite3.Connection, script: str) -> None:
    """Execute statements one by one inside the caller's transaction.

    (``executescript`` would commit the transaction first.)
    """
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            conn.execute(buffer)
            buffer = ""
    if buffer.strip():
        raise ValueError(f"incomplete SQL statement: {buffer.strip()[:80]}")


MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    m001_episodes,
    m002_structured,
    m003_events,
    m004_note_links,
    m005_dirty_sessions,
    m006_structure_log,
    m007_dynamics,
    m008_api_keys,
    m009_many_tenant_indexes,
)
SCHEMA_VERSION = len(MIGRATIONS)


def create(conn: sqlite3.Connection) -> None:
    """A new file's tables, from the table definitions."""
    for table in TABLES.values():
        for statement in SQLITE.create(table):
            conn.execute(statement)


def migrate(conn: sqlite3.Connection, *, create_new: bool = True) -> int:
    """Bring the file to this version and return it: a new file is created from the
    table definitions (through every migration instead when ``create_new`` is
    False); an older one takes the pending migrations, each in its own transaction."""
    found = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if found > SCHEMA_VERSION:
        raise SchemaVersionError(found, SCHEMA_VERSION)
    if found == 0 and create_new:
        _step(conn, 0, create, SCHEMA_VERSION)
        found = int(conn.execute("PRAGMA user_version").fetchone()[0])
    for number in range(found, SCHEMA_VERSION):
        _step(conn, number, MIGRATIONS[number], number + 1)
    return SCHEMA_VERSION


def _step(
    conn: sqlite3.Connection,
    number: int,
    change: Callable[[sqlite3.Connection], None],
    version: int,
) -> None:
    """``change`` in its own transaction, if the file is still at version ``number``."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        again = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if again == number:  # not migrated by another process meanwhile
            change(conn)
            conn.execute(f"PRAGMA user_version = {version}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
