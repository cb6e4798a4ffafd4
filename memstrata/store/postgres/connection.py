"""Connections to PostgreSQL: a writer (one transaction at a time in this
process, and across processes through an advisory lock, the same one-writer
rule as SQLite) and a reader per thread, in autocommit. Every statement goes
through the dialect rewrite; driver errors become StoreError."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from memstrata.errors import MissingDependency, StoreError
from memstrata.store.postgres.dialect import to_postgres

try:
    import psycopg
except ImportError as exc:  # pragma: no cover - depends on the extra
    raise MissingDependency("postgres", "psycopg") from exc

WRITER_LOCK = 0x6D656D73  # pg_advisory_xact_lock key: "mems"


class Translated:
    """A connection that speaks the store's SQLite dialect (see dialect.py)."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> psycopg.Cursor[Any]:
        try:
            return self.conn.execute(to_postgres(sql), list(params) or None)
        except psycopg.Error as exc:
            raise StoreError(f"{sql.split()[0].lower()} failed: {exc}") from exc

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        rows = list(rows)
        if not rows:
            return
        try:
            with self.conn.cursor() as cursor:
                cursor.executemany(to_postgres(sql), [list(r) for r in rows])
        except psycopg.Error as exc:
            raise StoreError(f"{sql.split()[0].lower()} failed: {exc}") from exc


class PgConnections:
    """The writer (serialised) and per-thread readers of one database."""

    def __init__(self, url: str) -> None:
        self.url = url
        try:
            self.writer = psycopg.connect(url, autocommit=True)
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to PostgreSQL: {exc}") from exc
        self._lock = threading.RLock()
        self._depth = 0
        self._local = threading.local()
        self._readers: list[psycopg.Connection[Any]] = []
        self._readers_lock = threading.Lock()
        self._closed = False

    @contextmanager
    def write(self, action: str) -> Iterator[Translated]:
        """One transaction on the writer, holding the cross-process writer lock."""
        with self._lock:
            self._check_open()
            if self._depth:  # nested use inside a transaction: join it
                yield Translated(self.writer)
                return
            self._depth += 1
            try:
                self.writer.execute("BEGIN")
                self.writer.execute("SELECT pg_advisory_xact_lock(%s)", [WRITER_LOCK])
                try:
                    yield Translated(self.writer)
                except BaseException:
                    self.writer.execute("ROLLBACK")
                    raise
                self.writer.execute("COMMIT")
            except psycopg.Error as exc:
                raise StoreError(f"{action} failed: {exc}") from exc
            finally:
                self._depth -= 1

    def read(self) -> Translated:
        """This thread's reader connection (autocommit: each statement sees the latest
        committed state)."""
        self._check_open()
        conn: psycopg.Connection[Any] | None = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            try:
                conn = psycopg.connect(self.url, autocommit=True)
            except psycopg.Error as exc:
                raise StoreError(f"cannot connect to PostgreSQL: {exc}") from exc
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return Translated(conn)

    def checkpoint(self) -> None:
        """Nothing to do: PostgreSQL recycles space with (auto)vacuum."""

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with self._readers_lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()
        with self._lock:
            self.writer.close()

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("the store is closed")
