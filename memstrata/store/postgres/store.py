"""PostgresStore: the store of record in PostgreSQL, for a service with many
users and several processes.

The record groups are the SQL stores of store/sqlite/, run over PostgreSQL
connections that rewrite their statements (dialect.py), so both backends
execute the same queries and pass the same contract tests. Side indexes
(BM25, vectors, the structure index) are rebuilt in each process from the
change logs, exactly as with SQLite, except that a large namespace's vectors
stay in the database and are searched there (vectors.py); nothing is cached
on local disk.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import psycopg

from memstrata.errors import StoreError
from memstrata.store.postgres.connection import PgConnections
from memstrata.store.postgres.schema import migrate
from memstrata.store.postgres.vectors import PgVectors, drop_graphs
from memstrata.store.sql.dynamics import SqlDynamics
from memstrata.store.sql.episodes import SqlChanges, SqlEpisodes, SqlNamespaces
from memstrata.store.sql.events import SqlEvents
from memstrata.store.sql.jobs import SqlJobs, SqlKeys, SqlTasks
from memstrata.store.sql.structure import SqlStructure


class PgEpisodes(SqlEpisodes):
    """The shared episode store; purging a namespace also drops its vector graphs."""

    def __init__(self, db: PgConnections) -> None:
        super().__init__(db)
        self._pg = db

    def _id_prefix(self, prefix: str) -> tuple[str, tuple[object, ...]]:
        """The database's collation need not order ids bytewise: no range."""
        return "substr(episode_id, 1, ?) = ?", (len(prefix), prefix)

    def purge_namespace(self, namespace: str) -> int:
        count = super().purge_namespace(namespace)
        drop_graphs(self._pg, namespace)
        return count


class PostgresStore:
    """A PostgreSQL database (``postgresql://user@host:port/db``) as the store of record."""

    def __init__(self, url: str) -> None:
        self.path = re.sub(r"://([^:@/]*):[^@/]*@", r"://\1:***@", url)  # no password shown
        self._db = PgConnections(url)
        try:
            self.schema_version = migrate(self._db.writer)
            self._db.open_readers()
        except psycopg.Error as exc:  # rolled back: nothing half-done stays
            self._db.close()
            raise StoreError(f"migrate failed: {exc}") from exc
        except BaseException:
            self._db.close()
            raise
        db = self._db  # the SQL stores take it for their SQLite connections (duck-typed)
        self.episodes = PgEpisodes(db)
        self.vectors = PgVectors(db)
        self.changes = SqlChanges(db)
        self.namespaces = SqlNamespaces(db)
        self.structure = SqlStructure(db)
        self.events = SqlEvents(db)
        self.dynamics = SqlDynamics(db)
        self.jobs = SqlJobs(db)
        self.tasks = SqlTasks(db)
        self.keys = SqlKeys(db)

    def reader(self) -> AbstractContextManager[psycopg.Connection[Any]]:
        """A pooled connection (autocommit) for PostgreSQL-only queries: benchmarks,
        maintenance. The record stores never need it."""
        return self._db.reader()

    def get_meta(self, key: str) -> str | None:
        row = self._db.read().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self._db.write("write meta") as conn:
            statement = self._db.dialect.insert("meta", "key, value", conflict="replace")
            conn.execute(statement, (key, value))

    def bytes_on_disk(self) -> int:
        """The size of the database (every table and index of it)."""
        row = self._db.read().execute("SELECT pg_database_size(current_database())").fetchone()
        return int(row[0]) if row else 0

    def side_path(self, name: str) -> Path | None:
        return None  # nothing is cached beside a server database

    def remove_side_files(self, names: Sequence[str]) -> None:
        """Nothing to remove: no side files."""

    def integrity_ok(self) -> bool:
        """PostgreSQL keeps its own integrity; the check is that it answers."""
        row = self._db.read().execute("SELECT 1").fetchone()
        return row is not None and row[0] == 1

    def close(self) -> None:
        self._db.close()
