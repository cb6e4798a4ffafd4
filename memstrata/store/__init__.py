"""Storage backends behind one protocol (see store/base.py)."""

from memstrata.errors import InvalidInput
from memstrata.store.base import IndexEntry, NewEpisode, Store
from memstrata.store.sqlite import SqliteStore

__all__ = ["IndexEntry", "NewEpisode", "Store", "open_store", "store_file"]


def store_file(target: str) -> str | None:
    """The SQLite file a path or URL names; None for a PostgreSQL URL."""
    if target.startswith(("postgresql://", "postgres://")):
        return None
    if target.startswith("sqlite:///"):
        return target[len("sqlite:///") :]
    if "://" in target:
        raise InvalidInput(f"unsupported store URL {target!r} (use a file path)", field="path")
    return target


def open_store(target: str) -> Store:
    """A Store for a path (SQLite file) or URL (``sqlite:///path``,
    ``postgresql://user@host:port/database``)."""
    path = store_file(target)
    if path is None:
        from memstrata.store.postgres.store import PostgresStore

        return PostgresStore(target)
    return SqliteStore(path)
