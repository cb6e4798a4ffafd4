"""Vectors in PostgreSQL: pgvector's ``vector`` type, and HNSW search in the
database for namespaces too large to hold their vectors in a process.

The SQL stores pass vectors as ``VectorBlob`` (little-endian float32 bytes);
``register_vector`` teaches a connection to send those as ``vector`` (binary)
and to read ``vector`` columns back as the same bytes, so the shared
statements run unchanged. ``PgVectors`` adds ``VectorSearch``: one partial
HNSW index (inner product) per large namespace and model, built concurrently
when the namespace asks for it, and queried with the namespace and model as
literals so the planner picks that index.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Sequence
from typing import Any

import numpy as np
import psycopg
from psycopg import sql
from psycopg.adapt import Dumper, Loader
from psycopg.pq import Format
from psycopg.types import TypeInfo

from memstrata.errors import StoreError
from memstrata.store.base import VectorBlob
from memstrata.store.sql.episodes import SqlVectors

GRAPH_M = 16  # HNSW links per node
GRAPH_EF_CONSTRUCTION = 64
GRAPH_BUILD_MEMORY = "512MB"  # maintenance_work_mem while building
MAX_BREADTH = 1000  # pgvector's ceiling for hnsw.ef_search
EXACT_LIMIT = 20_000  # selections up to this many rows are scored exactly


class _VectorDumper(Dumper):
    """VectorBlob -> pgvector's binary format (dims, 0, big-endian float32s)."""

    format = Format.BINARY

    def dump(self, obj: Any) -> bytes:
        values = np.frombuffer(obj, dtype="<f4")
        return struct.pack(">HH", len(values), 0) + values.astype(">f4").tobytes()


class _VectorTextLoader(Loader):
    """``[0.1,0.2,...]`` -> little-endian float32 bytes."""

    def load(self, data: Any) -> bytes:
        text = bytes(data)[1:-1].decode("ascii")
        return np.fromstring(text, dtype="<f4", sep=",").tobytes()


class _VectorBinaryLoader(Loader):
    format = Format.BINARY

    def load(self, data: Any) -> bytes:
        return np.frombuffer(bytes(data)[4:], dtype=">f4").astype("<f4").tobytes()


def register_vector(conn: psycopg.Connection[Any]) -> None:
    """Adapt VectorBlob <-> ``vector`` on ``conn`` (the extension must exist)."""
    info = TypeInfo.fetch(conn, "vector")
    if info is None:
        raise StoreError("the pgvector extension is not installed in this database")
    dumper = type("VectorDumper", (_VectorDumper,), {"oid": info.oid})
    conn.adapters.register_dumper(VectorBlob, dumper)
    conn.adapters.register_loader(info.oid, _VectorTextLoader)
    conn.adapters.register_loader(info.oid, _VectorBinaryLoader)


def graph_name(namespace: str, model: str) -> str:
    """The index name of a namespace's graph (names are short; namespaces need not be)."""
    digest = hashlib.sha256(f"{namespace}\0{model}".encode()).hexdigest()[:20]
    return f"vectors_hnsw_{digest}"


def graph_lock(name: str) -> int:
    """The advisory lock a process holds while it builds the graph ``name``."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def drop_graphs(db: Any, namespace: str | None = None) -> None:
    """Drop the graphs of ``namespace`` (of every namespace: None), after a purge
    or when the vectors give way to a new model's; concurrently, one by one."""
    rows = (
        db.read()
        .execute(
            "SELECT c.relname, pg_get_expr(i.indpred, i.indrelid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 'vectors'::regclass"
        )
        .fetchall()
    )
    # namespace names are letters, digits and . _ : @ - (validate.namespace): no quoting
    owner = None if namespace is None else f"((namespace = '{namespace}'::text)"
    names = [
        str(name)
        for name, predicate in rows
        if str(name).startswith("vectors_hnsw_")
        and (owner is None or str(predicate or "").startswith(owner))
    ]
    if not names:
        return
    with db.dedicated() as conn:
        for name in names:
            conn.execute(
                sql.SQL("DROP INDEX CONCURRENTLY IF EXISTS {}").format(sql.Identifier(name))
            )


class PgVectors(SqlVectors):
    """The shared vector store plus search in the database (``VectorSearch``)."""

    def __init__(self, db: Any) -> None:
        super().__init__(db)
        self._pg = db

    def drop_all(self) -> None:
        super().drop_all()
        drop_graphs(self._pg)

    def has_graph(self, namespace: str, model: str) -> bool:
        row = (
            self._pg.read()
            .execute(
                "SELECT i.indisvalid FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid "
                "WHERE c.relname = ?",
                (graph_name(namespace, model),),
            )
            .fetchone()
        )
        return bool(row and row[0])

    def build_graph(self, namespace: str, model: str, dims: int) -> None:
        name = graph_name(namespace, model)
        lock = graph_lock(name)
        with self._pg.dedicated() as conn:
            if not conn.execute("SELECT pg_try_advisory_lock(%s)", [lock]).fetchone()[0]:
                return  # another process is building it
            try:
                if self.has_graph(namespace, model):
                    return
                # a build that died half-way leaves an invalid index behind
                conn.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(sql.Identifier(name)))
                conn.execute(
                    sql.SQL("SET maintenance_work_mem = {}").format(sql.Literal(GRAPH_BUILD_MEMORY))
                )
                conn.execute(
                    sql.SQL(
                        "CREATE INDEX CONCURRENTLY {name} ON vectors USING hnsw "
                        "((vector::vector({dims})) vector_ip_ops) "
                        "WITH (m = {m}, ef_construction = {ef}) "
                        "WHERE namespace = {ns} AND model = {model}"
                    ).format(
                        name=sql.Identifier(name),
                        dims=sql.Literal(dims),
                        m=sql.Literal(GRAPH_M),
                        ef=sql.Literal(GRAPH_EF_CONSTRUCTION),
                        ns=sql.Literal(namespace),
                        model=sql.Literal(model),
                    )
                )
            except psycopg.Error as exc:
                raise StoreError(
                    f"building the vector index of {namespace!r} failed: {exc}"
                ) from exc
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", [lock])

    def nearest(
        self,
        namespace: str,
        model: str,
        query: np.ndarray,
        k: int,
        among: Sequence[int] | None = None,
        breadth: int = 100,
    ) -> list[tuple[int, float]]:
        """Small selections are scored exactly; the whole namespace, or a large
        selection (as a filter on an iterative scan), goes through the graph, and
        a filtered scan that stops short of ``k`` is redone exactly."""
        vector = VectorBlob(np.asarray(query, dtype="<f4").tobytes())
        if among is not None and (len(among) <= EXACT_LIMIT or not self._pg.iterative_scan):
            return self._exact(namespace, model, vector, k, among)
        found = self._graph(namespace, model, vector, len(query), k, among, breadth)
        if among is not None and len(found) < min(k, len(among)):
            return self._exact(namespace, model, vector, k, among)
        return found

    def _graph(
        self,
        namespace: str,
        model: str,
        vector: VectorBlob,
        dims: int,
        k: int,
        among: Sequence[int] | None,
        breadth: int,
    ) -> list[tuple[int, float]]:
        distance = sql.SQL("(vector::vector({dims})) <#> %s::vector({dims})").format(
            dims=sql.Literal(dims)
        )
        # namespace and model as literals: the planner then matches the partial index
        statement = sql.SQL(
            "SELECT seq, {d} FROM vectors WHERE namespace = {ns} AND model = {model}{among} "
            "ORDER BY {d} LIMIT %s"
        ).format(
            d=distance,
            ns=sql.Literal(namespace),
            model=sql.Literal(model),
            among=sql.SQL("" if among is None else " AND seq = ANY(%s)"),
        )
        params: list[Any] = [vector] + ([] if among is None else [list(among)]) + [vector, k]
        settings = {"hnsw.ef_search": str(min(max(breadth, k), MAX_BREADTH))}
        if self._pg.iterative_scan:
            settings["hnsw.iterative_scan"] = "relaxed_order"
        found = self._query(statement, params, settings)
        found.sort(key=lambda pair: -pair[1])  # relaxed order: nearly sorted
        return found

    def _exact(
        self, namespace: str, model: str, vector: VectorBlob, k: int, among: Sequence[int]
    ) -> list[tuple[int, float]]:
        statement = sql.SQL(
            "SELECT seq, vector <#> %s FROM vectors "
            "WHERE seq = ANY(%s) AND namespace = %s AND model = %s ORDER BY 2 LIMIT %s"
        )
        return self._query(statement, [vector, list(among), namespace, model, k], {})

    def _query(
        self, statement: sql.Composable, params: list[Any], settings: dict[str, str]
    ) -> list[tuple[int, float]]:
        """(seq, inner product) rows of a distance query, under transaction-local settings."""
        try:
            with self._pg.reader() as conn, conn.transaction():
                for name, value in settings.items():
                    conn.execute("SELECT set_config(%s, %s, true)", [name, value])
                rows = conn.execute(statement, params).fetchall()
        except psycopg.Error as exc:
            raise StoreError(f"vector search failed: {exc}") from exc
        return [(int(seq), -float(d)) for seq, d in rows]
