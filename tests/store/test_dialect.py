"""The dialects: the statements each engine is given, and how PostgreSQL's
driver takes them (markers, literal percent signs, quoted question marks)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from memstrata.store import open_store
from memstrata.store.postgres.dialect import POSTGRES, bind
from memstrata.store.postgres.store import PostgresStore
from memstrata.store.sql.dialect import SQLITE, marks
from memstrata.store.sqlite import SqliteStore
from memstrata.testing.pg import new_database


def test_markers_become_the_drivers_and_percent_signs_are_doubled() -> None:
    assert bind("SELECT a FROM t WHERE b = ? AND c LIKE '%x' AND d = ?") == (
        "SELECT a FROM t WHERE b = %s AND c LIKE '%%x' AND d = %s"
    )
    assert bind("SELECT '?' || ?, 'it''s ?'") == "SELECT '?' || %s, 'it''s ?'"


def test_an_upsert_replaces_every_column_but_the_tables_key() -> None:
    columns = "record_kind, record_id, namespace, layer"
    assert POSTGRES.insert("strength", columns, conflict="replace") == (
        "INSERT INTO strength(record_kind, record_id, namespace, layer) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (record_kind, record_id) DO UPDATE SET "
        "namespace = EXCLUDED.namespace, layer = EXCLUDED.layer"
    )
    assert SQLITE.insert("strength", columns, conflict="replace").startswith(
        "INSERT OR REPLACE INTO strength("
    )


def test_a_skip_goes_before_returning_and_after_a_select() -> None:
    statement = POSTGRES.insert(
        "namespaces", "name, created_at", "SELECT ?, 1", conflict="ignore", returning="name"
    )
    assert statement == (
        "INSERT INTO namespaces(name, created_at) SELECT ?, 1 ON CONFLICT DO NOTHING RETURNING name"
    )
    assert SQLITE.insert("meta", "key, value", conflict="ignore") == (
        "INSERT OR IGNORE INTO meta(key, value) VALUES (?, ?)"
    )


def test_json_field_names_are_plain_words() -> None:
    assert (
        SQLITE.json_field("e.metadata", "subgoal_id") == "json_extract(e.metadata, '$.subgoal_id')"
    )
    assert POSTGRES.json_field("e.metadata", "subgoal_id") == "(e.metadata::jsonb ->> 'subgoal_id')"
    with pytest.raises(ValueError):
        SQLITE.json_field("e.metadata", "x') OR ('1")


def test_hints_are_sqlites_alone() -> None:
    assert SQLITE.indexed_by("i") == " INDEXED BY i" and POSTGRES.indexed_by("i") == ""
    assert SQLITE.unindexed("e.namespace") == "+e.namespace"
    assert POSTGRES.unindexed("e.namespace") == "e.namespace"


def _roundtrip(store: SqliteStore | PostgresStore) -> None:
    """What differs, run on the engine: upsert, skip, JSON, an empty IN, a percent."""
    db = store._db
    sql = db.dialect
    with db.write("test") as conn:
        conn.execute(sql.insert("meta", "key, value", conflict="replace"), ("k", "1"))
        conn.execute(sql.insert("meta", "key, value", conflict="replace"), ("k", "2"))
        conn.execute(sql.insert("meta", "key, value", conflict="ignore"), ("k", "3"))
        conn.execute(sql.insert("meta", "key, value", conflict="ignore"), ("j", '{"a": "x?"}'))
    read = db.read()
    assert read.execute("SELECT value FROM meta WHERE key = ?", ("k",)).fetchone()[0] == "2"
    row = read.execute(
        f"SELECT {sql.json_field('value', 'a')}, (SELECT {sql.json_array('key')} FROM "
        "(SELECT key FROM meta ORDER BY key) m) FROM meta WHERE key = 'j'"
    ).fetchone()
    assert row[0] == "x?" and row[1].replace(" ", "") == '["j","k"]'
    assert read.execute(f"SELECT count(*) FROM meta WHERE key IN ({marks(0)})").fetchone()[0] == 0
    like = read.execute("SELECT count(*) FROM meta WHERE value LIKE '%x?%'").fetchone()[0]
    assert like == 1


def test_the_dialects_run_on_sqlite(tmp_path: Path) -> None:
    store = SqliteStore(str(tmp_path / "s.db"))
    try:
        _roundtrip(store)
    finally:
        store.close()
    with sqlite3.connect(tmp_path / "s.db") as conn:
        assert conn.execute("SELECT count(*) FROM meta").fetchone()[0] == 2


def test_the_dialects_run_on_postgres(pg_server: Any) -> None:
    store = open_store(new_database(pg_server))
    assert isinstance(store, PostgresStore)
    try:
        _roundtrip(store)
    finally:
        store.close()
