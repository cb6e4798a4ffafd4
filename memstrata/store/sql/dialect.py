"""What the two SQL engines write differently, said once: the record stores build
each statement through their database's dialect (``Database.dialect``).

The base class writes SQLite; PostgreSQL's (``store/postgres/dialect.py``)
overrides the few forms that differ:

- an insert that skips or replaces a row already there (``insert``);
- a JSON array aggregated over rows, a field of a JSON text, the entries of a
  JSON object as rows (``json_array``, ``json_field``, ``json_entries``);
- planner hints (``indexed_by``, ``unindexed``), which PostgreSQL has no need of;
- parameter markers: statements are written with ``?``, and ``bind`` gives the
  text the driver takes.

Both engines read ``IN (NULL)`` as matching nothing, so an empty list of
parameters needs no form of its own (``marks``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar, Literal

from memstrata.store.sql.tables import Column, ColumnType, Index, Table

Conflict = Literal["fail", "ignore", "replace"]


def marks(count: int) -> str:
    """The markers of ``count`` parameters inside ``IN (...)``; ``NULL`` for none."""
    return ", ".join("?" * count) if count else "NULL"


def values(count: int) -> str:
    """``VALUES (?, ...)`` of one row of ``count`` parameters."""
    return f"VALUES ({', '.join('?' * count)})"


class Dialect:
    """SQLite's forms (the base every dialect starts from)."""

    name = "sqlite"

    def insert(
        self,
        table: str,
        columns: str,
        rows: str | None = None,
        *,
        conflict: Conflict = "fail",
        returning: str = "",
    ) -> str:
        """An insert into ``table``'s ``columns`` (as SQL writes them: "a, b"): the rows
        are ``rows`` (a SELECT, or VALUES with literals), one row of parameters when
        None. A row whose key is taken is an error, skipped (``ignore``) or replaced
        by the new one (``replace``)."""
        body = rows if rows is not None else values(len(names(columns)))
        clause = self.on_conflict(table, columns, conflict)
        tail = f" RETURNING {returning}" if returning else ""
        return f"{self.insert_verb(conflict)} INTO {table}({columns}) {body}{clause}{tail}"

    def insert_verb(self, conflict: Conflict) -> str:
        """How an insert begins: SQLite says there what a taken key does."""
        return {"fail": "INSERT", "ignore": "INSERT OR IGNORE", "replace": "INSERT OR REPLACE"}[
            conflict
        ]

    def on_conflict(self, table: str, columns: str, conflict: Conflict) -> str:
        """What follows an insert's rows about a taken key (SQLite: nothing)."""
        return ""

    def json_array(self, expression: str) -> str:
        """The JSON text of an array of ``expression`` over the rows aggregated ('[]' for none)."""
        return f"json_group_array({expression})"

    def json_field(self, column: str, key: str) -> str:
        """The field ``key`` of the JSON object in ``column``."""
        return f"json_extract({column}, '$.{plain_key(key)}')"

    def json_entries(self, column: str) -> str:
        """A table of the JSON object's entries in ``column``: columns ``key`` and ``value``."""
        return f"json_each({column})"

    def indexed_by(self, index: str) -> str:
        """A hint that a table is read through ``index`` (placed after its name)."""
        return f" INDEXED BY {index}"

    def unindexed(self, column: str) -> str:
        """``column`` in a condition the planner must not answer from an index."""
        return f"+{column}"

    def bind(self, sql: str) -> str:
        """The text the driver takes for a statement written with ``?`` markers."""
        return sql

    # -- definitions ------------------------------------------------------------

    types: ClassVar[Mapping[ColumnType, str]] = {
        "int": "INTEGER",
        "int32": "INTEGER",
        "real": "REAL",
        "text": "TEXT",
        "blob": "BLOB",
        "vector": "BLOB",
    }

    def create(self, table: Table) -> list[str]:
        """The statements that create ``table``, its indexes and its guards."""
        lines = [self._column(table, c) for c in table.columns]
        if table.in_order and self.order_column:
            lines.insert(0, self.order_column)
        if len(table.key) > 1:
            lines.append(f"PRIMARY KEY({', '.join(table.key)})")
        lines += [f"UNIQUE({', '.join(u)})" for u in table.unique]
        body = ",\n    ".join(lines)
        out = [f"CREATE TABLE {table.name}(\n    {body}\n)"]
        out += [self._index(table, i) for i in table.indexes]
        if table.immutable:
            out += self.immutable(table.name, table.immutable)
        return out

    # The column a table that keeps insertion order gets (SQLite's rowid is implicit).
    order_column = ""

    def serial(self, column: Column) -> str:
        """A one-column key the database numbers."""
        return f"{column.name} INTEGER PRIMARY KEY AUTOINCREMENT"

    def immutable(self, table: str, columns: Sequence[str]) -> list[str]:
        """A trigger that refuses an update of ``columns``."""
        return [
            f"CREATE TRIGGER {table}_are_immutable BEFORE UPDATE OF {', '.join(columns)} "
            f"ON {table} BEGIN SELECT RAISE(ABORT, '{table} are immutable'); END"
        ]

    def _column(self, table: Table, column: Column) -> str:
        if table.key == (column.name,) and table.serial:
            return self.serial(column)
        parts = [column.name, self.types[column.type]]
        if table.key == (column.name,):
            parts.append("PRIMARY KEY")
        elif not column.null:
            parts.append("NOT NULL")
        if column.default is not None:
            parts.append(f"DEFAULT {column.default}")
        if column.references is not None:
            parts.append(f"REFERENCES {column.references}")
            if column.on_delete:
                parts.append(f"ON DELETE {column.on_delete}")
        if column.allowed:
            allowed = ", ".join(f"'{v}'" for v in column.allowed)
            parts.append(f"CHECK ({column.name} IN ({allowed}))")
        return " ".join(parts)

    def _index(self, table: Table, index: Index) -> str:
        columns = list(index.columns)
        if index.in_order and self.order_column:
            columns.append(self.order_column.split()[0])
        return f"CREATE INDEX {index.name} ON {table.name}({', '.join(columns)})"


def names(columns: str) -> list[str]:
    """The names in a column list written as SQL ("a, b")."""
    return [c.strip() for c in columns.split(",")]


def plain_key(key: str) -> str:
    """``key`` as a JSON field name inside a literal: letters, digits and underscores."""
    if not key.replace("_", "").isalnum():
        raise ValueError(f"not a plain JSON field name: {key!r}")
    return key


SQLITE = Dialect()
