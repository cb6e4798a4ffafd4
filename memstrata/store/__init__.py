"""Storage backends behind one protocol (see store/base.py)."""

from memstrata.errors import InvalidInput
from memstrata.store.base import IndexEntry, NewEpisode, Store
from memstrata.store.sqlite import SqliteStore

__all__ = ["IndexEntry", "NewEpisode", "Store", "open_store"]


def open_store(target: str) -> Store:
    """A Store for a path (SQLite file) or URL (``sqlite:///path``,
    ``postgresql://user@host:port/database``)."""
    if target.startswith(("postgresql://", "postgres://")):
        from memstrata.store.postgres.store import PostgresStore

        return PostgresStore(target)
    if target.startswith("sqlite:///"):
        target = target[len("sqlite:///") :]
    elif "://" in target:
        raise InvalidInput(f"unsupported store URL {target!r} (use a file path)", field="path")
    return SqliteStore(target)
