"""The two backends' schemas are written apart (SQLite's migrations, PostgreSQL's
snapshot and its migrations); this compares the live schemas both build: the
same tables, the same columns in each, the same named indexes."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import psycopg

from memstrata.store import open_store
from memstrata.store.sqlite import SqliteStore
from memstrata.testing.pg import new_database

# What one engine has and the other has no need of: PostgreSQL's own version
# table; the identity column it gives two tables whose order the queries read
# from SQLite's implicit rowid; the namespace of each vector (a trigger copies
# it from the episode), on which its per-namespace HNSW graphs are partial.
ONLY_POSTGRES = {"memstrata_schema"}
POSTGRES_ONLY_COLUMNS = {
    ("note_keywords", "rowid"),
    ("subgoals", "rowid"),
    ("vectors", "namespace"),
}
ONLY_SQLITE = {"sqlite_sequence"}


def sqlite_schema(path: Path) -> tuple[dict[str, set[str]], set[str]]:
    SqliteStore(str(path)).close()
    with sqlite3.connect(path) as conn:
        tables = [
            r[0]
            for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if r[0] not in ONLY_SQLITE and not r[0].startswith("sqlite_")
        ]
        columns = {t: {r[1] for r in conn.execute(f"PRAGMA table_info({t})")} for t in tables}
        indexes = {
            r[0]
            for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
            if not r[0].startswith("sqlite_autoindex")
        }
    return columns, indexes


def postgres_schema(url: str) -> tuple[dict[str, set[str]], set[str]]:
    open_store(url).close()
    with psycopg.connect(url) as conn:
        columns: dict[str, set[str]] = {}
        for table, column in conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public'"
        ):
            if table not in ONLY_POSTGRES and (table, column) not in POSTGRES_ONLY_COLUMNS:
                columns.setdefault(table, set()).add(column)
        indexes = {
            r[0]
            for r in conn.execute(
                "SELECT indexname FROM pg_indexes WHERE schemaname = 'public' "
                "AND indexname NOT LIKE '%\\_pkey' AND indexname NOT LIKE '%\\_key'"
            )
        }
    return columns, indexes


def test_both_backends_build_the_same_tables_columns_and_indexes(
    tmp_path: Path, pg_server: Any
) -> None:
    lite_columns, lite_indexes = sqlite_schema(tmp_path / "s.db")
    pg_columns, pg_indexes = postgres_schema(new_database(pg_server))
    assert len(lite_columns) > 15
    assert sorted(lite_columns) == sorted(pg_columns)
    for table, columns in lite_columns.items():
        assert columns == pg_columns[table], table
    assert sorted(lite_indexes) == sorted(pg_indexes)
