"""The embedded SQLite backend (one file, WAL)."""

from memstrata.store.sqlite.store import SqliteStore

__all__ = ["SqliteStore"]
