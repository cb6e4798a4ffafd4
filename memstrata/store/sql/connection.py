"""The connections the SQL record stores are written against, as protocols
both backends satisfy: SQLite's own connections, and PostgreSQL's. Each
database names its dialect, through which the stores build what the two
engines write differently (``dialect.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol

from memstrata.errors import StoreError
from memstrata.store.sql.dialect import Dialect


class Cursor(Protocol):
    """The rows one statement returned."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Reader(Protocol):
    """A connection reads run on."""

    def execute(self, sql: str, params: Sequence[Any] = ..., /) -> Cursor: ...


class Session(Reader, Protocol):
    """The writer inside a transaction."""

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]], /) -> object: ...


class Database(Protocol):
    """A store's connections: one writer in transactions, and readers."""

    @property
    def dialect(self) -> Dialect: ...

    def write(
        self, action: str, namespace: str | None = None, *, durable: bool = True
    ) -> AbstractContextManager[Session]: ...

    def read(self) -> Reader: ...

    def checkpoint(self) -> None: ...

    def errors(self, action: str) -> AbstractContextManager[None]:
        """Turns the engine's errors inside it into a StoreError naming ``action``."""
        ...


@contextmanager
def translated(action: str, errors: type[Exception]) -> Iterator[None]:
    """An engine's ``errors`` inside it become a StoreError naming ``action``: the
    one boundary where each backend's driver errors are turned into the store's."""
    try:
        yield
    except errors as exc:
        raise StoreError(f"{action} failed: {exc}") from exc
