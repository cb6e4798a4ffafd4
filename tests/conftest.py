"""Shared fixtures: real SQLite files in tmp_path, the hash embedder for speed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from memstrata import Memory
from memstrata.store.base import Store
from memstrata.store.sqlite import SqliteStore
from memstrata.testing import HashEmbedder

T0 = datetime(2023, 5, 8, 13, 56, tzinfo=UTC)
T1 = datetime(2023, 6, 1, 9, 0, tzinfo=UTC)
T2 = datetime(2023, 7, 15, 18, 30, tzinfo=UTC)

BACKENDS = ["sqlite"]


def open_backend(kind: str, path: Path) -> Store:
    if kind == "sqlite":
        return SqliteStore(str(path / "store.db"))
    raise AssertionError(kind)


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    backend = open_backend(request.param, tmp_path)
    yield backend
    backend.close()


@pytest.fixture
def memory(tmp_path: Path) -> Iterator[Memory]:
    with Memory(tmp_path / "memory.db", embedder=HashEmbedder()) as mem:
        yield mem


@pytest.fixture(scope="session")
def default_memory_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("default") / "memory.db"
