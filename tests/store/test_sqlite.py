"""SQLite-specific guarantees: WAL, immutability trigger, migrations."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from memstrata.errors import SchemaVersionError
from memstrata.store.base import NewEpisode
from memstrata.store.sqlite import SqliteStore
from memstrata.store.sqlite.schema import SCHEMA_VERSION
from tests.contract.test_store_contract import MODEL, episode


def test_store_file_is_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    store = SqliteStore(str(tmp_path / "s.db"))
    store.close()
    conn = sqlite3.connect(tmp_path / "s.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_episode_rows_reject_updates_of_their_content(tmp_path: Path) -> None:
    store = SqliteStore(str(tmp_path / "s.db"))
    store.episodes.add("ns", [NewEpisode(episode("e1"), "hello world", None)], MODEL)
    store.close()
    conn = sqlite3.connect(tmp_path / "s.db")
    with pytest.raises(sqlite3.IntegrityError, match="immutable"):
        conn.execute("UPDATE episodes SET content = 'rewritten'")
    with pytest.raises(sqlite3.IntegrityError, match="immutable"):
        conn.execute("UPDATE episodes SET occurred_at = 0")


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    SqliteStore(str(tmp_path / "s.db")).close()
    conn = sqlite3.connect(tmp_path / "s.db")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(SchemaVersionError) as info:
        SqliteStore(str(tmp_path / "s.db"))
    assert info.value.found == SCHEMA_VERSION + 1


def test_reopening_keeps_data_and_version(tmp_path: Path) -> None:
    store = SqliteStore(str(tmp_path / "s.db"))
    store.episodes.add("ns", [NewEpisode(episode("e1"), "hello world", None)], MODEL)
    store.close()
    again = SqliteStore(str(tmp_path / "s.db"))
    assert again.schema_version == SCHEMA_VERSION
    assert [e.id for e in again.episodes.get("ns", ["e1"])] == ["e1"]
    again.close()
