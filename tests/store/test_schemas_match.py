"""Both backends make a new database from one set of table definitions, and an
older one through their own migrations. This compares the live schemas: a new
SQLite file against a new PostgreSQL database (the same tables, columns and
named indexes), and, on each engine, a new database against one brought
through every migration (the same catalog, column types and constraints
included)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import psycopg

from memstrata.store import open_store
from memstrata.store.postgres import schema as pg_schema
from memstrata.store.sqlite import SqliteStore
from memstrata.store.sqlite import schema as sqlite_migrations
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


def sqlite_catalog(conn: sqlite3.Connection) -> dict[str, object]:
    """Each table's columns (type, null, default, key), indexes with their columns,
    foreign keys and the full text of its definition's checks; the triggers."""
    catalog: dict[str, object] = {}
    for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
        indexes = sorted(
            (r[1], r[2], tuple(conn.execute(f"PRAGMA index_info({r[1]})").fetchall()))
            for r in conn.execute(f"PRAGMA index_list({table})")
        )
        catalog[table] = (
            conn.execute(f"PRAGMA table_info({table})").fetchall(),
            indexes,
            sorted(conn.execute(f"PRAGMA foreign_key_list({table})").fetchall()),
        )
    catalog["triggers"] = sorted(
        r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    )
    return catalog


def test_a_new_sqlite_file_is_what_the_migrations_make(tmp_path: Path) -> None:
    new = sqlite3.connect(tmp_path / "new.db", isolation_level=None)
    old = sqlite3.connect(tmp_path / "old.db", isolation_level=None)
    version = sqlite_migrations.migrate(new)
    assert sqlite_migrations.migrate(old, create_new=False) == version
    for conn in (new, old):
        assert conn.execute("PRAGMA user_version").fetchone()[0] == version
    assert sqlite_catalog(new) == sqlite_catalog(old)
    checks = {
        conn: sorted(
            str(r[0]).count("CHECK")
            for r in conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table'")
        )
        for conn in (new, old)
    }
    assert checks[new] == checks[old]


PG_CATALOG = (
    "SELECT table_name, column_name, data_type, is_nullable, column_default, is_identity, "
    "identity_generation FROM information_schema.columns WHERE table_schema = 'public'",
    "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'",
    "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
    "WHERE connamespace = 'public'::regnamespace",
    "SELECT tgname, tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal",
)


def postgres_catalog(url: str) -> list[set[tuple[Any, ...]]]:
    with psycopg.connect(url) as conn:
        return [set(conn.execute(query).fetchall()) for query in PG_CATALOG]


def test_a_new_postgres_database_is_what_the_migrations_make(pg_server: Any) -> None:
    new, old = new_database(pg_server), new_database(pg_server)
    with psycopg.connect(new, autocommit=True) as conn:
        version = pg_schema.migrate(conn)
    with psycopg.connect(old, autocommit=True) as conn:
        assert pg_schema.migrate(conn, create_new=False) == version
    made, migrated = postgres_catalog(new), postgres_catalog(old)
    assert len(made[0]) > 100
    for part, (a, b) in enumerate(zip(made, migrated, strict=True)):
        assert a == b, (PG_CATALOG[part], a ^ b)
