"""Connections to PostgreSQL: a writer (one transaction at a time in this
process, and across processes through an advisory lock, the same one-writer
rule as SQLite) and a bounded pool of readers in autocommit: each read
statement borrows a connection, fetches its rows and gives it back, so a
server with many threads holds at most POOL_SIZE reader connections. Every
statement's ``?`` markers become psycopg's (dialect.py); driver errors become
StoreError."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from memstrata.errors import MissingDependency, StoreError
from memstrata.store.postgres.dialect import POSTGRES, bind
from memstrata.store.postgres.vectors import register_vector
from memstrata.store.sql.connection import translated

try:
    import psycopg
    from psycopg_pool import ConnectionPool
except ImportError as exc:  # pragma: no cover - depends on the extra
    raise MissingDependency("postgres", "psycopg") from exc

WRITER_LOCK = 0x6D656D73  # pg_advisory_xact_lock key: "mems"
# Writes of one namespace hold WRITER_LOCK shared and their namespace's lock
# (this class, hashtext(namespace)) exclusive: writers of different namespaces
# run side by side, those of one namespace in turn (so its change log is
# committed in order), and a write of no one namespace excludes them all.
NAMESPACE_LOCK = 0x6D656E  # "men"
POOL_SIZE = 8  # reader connections per process
POOL_TIMEOUT_S = 30.0


def _verb(sql: str) -> str:
    """What a statement does, for its error message ("select", "insert" ...)."""
    return sql.split()[0].lower()


class Rows:
    """The fetched result of one read statement (what the stores use of a cursor)."""

    def __init__(self, rows: list[Any], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount

    def fetchone(self) -> Any:
        return self._rows[0] if self._rows else None

    def fetchall(self) -> list[Any]:
        return self._rows

    def __iter__(self) -> Iterator[Any]:
        return iter(self._rows)


class PooledReader:
    """Reads, each statement on a connection from the pool."""

    def __init__(self, pool: ConnectionPool[Any]) -> None:
        self.pool = pool

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Rows:
        with (
            translated(_verb(sql), psycopg.Error),
            self.pool.connection(timeout=POOL_TIMEOUT_S) as conn,
        ):
            cursor = conn.execute(bind(sql), list(params))
            rows = cursor.fetchall() if cursor.description is not None else []
            return Rows(rows, cursor.rowcount)


class Translated:
    """The writer's connection, taking statements written with ``?`` markers."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> psycopg.Cursor[Any]:
        with translated(_verb(sql), psycopg.Error):
            return self.conn.execute(bind(sql), list(params))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        values = [list(r) for r in rows]
        if not values:
            return
        with translated(_verb(sql), psycopg.Error), self.conn.cursor() as cursor:
            cursor.executemany(bind(sql), values)


class PgConnections:
    """The writer (serialised) and per-thread readers of one database."""

    dialect = POSTGRES

    def __init__(self, url: str) -> None:
        self.url = url
        try:
            self.writer = psycopg.connect(url, autocommit=True)
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to PostgreSQL: {exc}") from exc
        self._lock = threading.RLock()
        self._depth = 0
        self._pool: ConnectionPool[Any] = ConnectionPool(
            url,
            min_size=1,
            max_size=POOL_SIZE,
            kwargs={"autocommit": True},
            configure=register_vector,
            open=False,
            name="memstrata-readers",
        )
        self._closed = False
        self.iterative_scan = False  # pgvector 0.8+: filtered HNSW scans go on until k

    def open_readers(self) -> None:
        """After the migrations (the vector type exists): adapt vectors, open the pool."""
        register_vector(self.writer)
        row = self.writer.execute(
            "SELECT extversion FROM pg_extension WHERE extname = 'vector'"
        ).fetchone()
        version = tuple(int(p) for p in str(row[0]).split(".")[:2] if p.isdigit()) if row else ()
        self.iterative_scan = version >= (0, 8)
        self._pool.open()

    @contextmanager
    def write(
        self, action: str, namespace: str | None = None, *, durable: bool = True
    ) -> Iterator[Translated]:
        """One transaction on the writer, holding the cross-process lock of
        ``namespace`` (the one namespace whose data it writes), or of the whole
        store when it names none. ``durable=False``: for what can be derived
        again from stored episodes; its commit does not wait for the WAL flush
        (``synchronous_commit = off``: a crash may undo it, never corrupt)."""
        with self._lock:
            self._check_open()
            if self._depth:  # nested use inside a transaction: join it
                yield Translated(self.writer)
                return
            self._depth += 1
            try:
                self.writer.execute("BEGIN")
                if not durable:
                    self.writer.execute("SET LOCAL synchronous_commit = off")
                if namespace is None:
                    self.writer.execute("SELECT pg_advisory_xact_lock(%s)", [WRITER_LOCK])
                else:
                    self.writer.execute(
                        "SELECT pg_advisory_xact_lock_shared(%s), "
                        "pg_advisory_xact_lock(%s, hashtext(%s))",
                        [WRITER_LOCK, NAMESPACE_LOCK, namespace],
                    )
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

    def read(self) -> PooledReader:
        """Reads from the pool (autocommit: each statement sees the latest commit)."""
        self._check_open()
        return PooledReader(self._pool)

    @contextmanager
    def reader(self) -> Iterator[psycopg.Connection[Any]]:
        """A pooled reader connection itself (autocommit), for PostgreSQL-only queries."""
        self._check_open()
        with self._pool.connection(timeout=POOL_TIMEOUT_S) as conn:
            yield conn

    @contextmanager
    def dedicated(self) -> Iterator[psycopg.Connection[Any]]:
        """A connection of its own (autocommit), for long statements such as an index
        build, which should hold neither the writer nor a pooled reader."""
        self._check_open()
        try:
            conn = psycopg.connect(self.url, autocommit=True)
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to PostgreSQL: {exc}") from exc
        try:
            register_vector(conn)
            yield conn
        finally:
            conn.close()

    def errors(self, action: str) -> AbstractContextManager[None]:
        return translated(action, psycopg.Error)

    def checkpoint(self) -> None:
        """Nothing to do: PostgreSQL recycles space with (auto)vacuum."""

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._pool.close()
        with self._lock:
            self.writer.close()

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("the store is closed")
