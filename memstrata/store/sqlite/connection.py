"""SQLite connections: one writer behind a lock, a reader per thread."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from memstrata.errors import StoreError
from memstrata.store.sql.connection import translated
from memstrata.store.sql.dialect import SQLITE

_BUSY_TIMEOUT_MS = 30_000
_CHECKPOINT_PAGES = 10_000


def translate_errors(action: str) -> AbstractContextManager[None]:
    """SQLite's errors inside it become a StoreError naming ``action``."""
    return translated(action, sqlite3.Error)


def _open(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(
        path, isolation_level=None, check_same_thread=False, timeout=_BUSY_TIMEOUT_MS / 1000
    )
    conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA secure_delete = ON")
    # checkpoint the WAL every 40 MB rather than every 4: a write of a few turns
    # dirties dozens of pages, and each checkpoint syncs the whole file
    conn.execute(f"PRAGMA wal_autocheckpoint = {_CHECKPOINT_PAGES}")
    return conn


class Connections:
    """The writer connection (serialised by a lock) and per-thread readers."""

    dialect = SQLITE

    def __init__(self, path: str) -> None:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        with translate_errors(f"opening {path}"):
            self.writer = _open(path)
            mode = self.writer.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal" and path != ":memory:":
            raise StoreError(f"could not put {path} in WAL mode (got {mode})")
        self._lock = threading.RLock()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._closed = False

    @contextmanager
    def write(
        self, action: str, namespace: str | None = None, *, durable: bool = True
    ) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction on the writer; rolled back on any error.
        ``namespace``: the one namespace whose data it writes, if any (SQLite has
        one writer for the file whatever it is; PostgreSQL locks per namespace).
        ``durable=False``: for what can be derived again from stored episodes
        (vectors, extraction): the commit does not wait for the disk, so a power
        cut may undo it, never a later durable commit (the WAL is written in
        order, and a durable commit syncs everything before it)."""
        with self._lock, translate_errors(action):
            self._check_open()
            if not durable:
                self.writer.execute("PRAGMA synchronous = NORMAL")
            try:
                self.writer.execute("BEGIN IMMEDIATE")
                try:
                    yield self.writer
                except BaseException:
                    self.writer.execute("ROLLBACK")
                    raise
                self.writer.execute("COMMIT")
            finally:
                if not durable:
                    self.writer.execute("PRAGMA synchronous = FULL")

    def read(self) -> sqlite3.Connection:
        """This thread's reader connection."""
        self._check_open()
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            with translate_errors(f"opening {self.path}"):
                conn = _open(self.path)
                conn.execute("PRAGMA query_only = ON")
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    def errors(self, action: str) -> AbstractContextManager[None]:
        return translate_errors(action)

    def checkpoint(self) -> None:
        """Move the WAL into the main file and truncate it (after a purge)."""
        with self._lock, translate_errors("checkpoint"):
            self.writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")

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
