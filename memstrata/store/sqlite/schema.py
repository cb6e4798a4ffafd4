"""Numbered, append-only migrations of the SQLite store.

``PRAGMA user_version`` holds the schema version: the number of migrations
applied. A store written by a newer memstrata raises SchemaVersionError.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from memstrata.errors import SchemaVersionError


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


MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (m001_episodes,)
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection) -> int:
    """Apply the pending migrations, each in its own transaction; return the version."""
    found = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if found > SCHEMA_VERSION:
        raise SchemaVersionError(found, SCHEMA_VERSION)
    for number in range(found, SCHEMA_VERSION):
        conn.execute("BEGIN IMMEDIATE")
        try:
            again = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if again > number:  # another process migrated meanwhile
                conn.execute("COMMIT")
                continue
            MIGRATIONS[number](conn)
            conn.execute(f"PRAGMA user_version = {number + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return SCHEMA_VERSION
