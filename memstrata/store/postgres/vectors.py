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
from memstrata.store.sqlite.store import SqliteVectors

GRAPH_M = 16  # HNSW links per node
GRAPH_EF_CONSTRUCTION = 64
GRAPH_BUILD_MEMORY = "512MB"  # maintenance_work_mem while building
MAX_BREADTH = 1000  # pgvector's ceiling for hnsw.ef_search


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


class PgVectors(SqliteVectors):
    """The shared vector store plus search in the database (``VectorSearch``)."""

    def __init__(self, db: Any) -> None:
        super().__init__(db)
        self._pg = db

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
        vector = VectorBlob(np.asarray(query, dtype="<f4").tobytes())
        dims = len(query)
        statement: sql.Composable
        if among is not None:
            statement = sql.SQL(
                "SELECT seq, vector <#> %s FROM vectors "
                "WHERE seq = ANY(%s) AND namespace = %s AND model = %s ORDER BY 2 LIMIT %s"
            )
            params: list[Any] = [vector, list(among), namespace, model, k]
        else:
            distance = sql.SQL("(vector::vector({dims})) <#> %s::vector({dims})").format(
                dims=sql.Literal(dims)
            )
            statement = sql.SQL(
                "SELECT seq, {d} FROM vectors WHERE namespace = {ns} AND model = {model} "
                "ORDER BY {d} LIMIT %s"
            ).format(d=distance, ns=sql.Literal(namespace), model=sql.Literal(model))
            params = [vector, vector, k]
        try:
            with self._pg.reader() as conn, conn.transaction():
                if among is None:
                    ef = str(min(max(breadth, k), MAX_BREADTH))
                    conn.execute("SELECT set_config('hnsw.ef_search', %s, true)", [ef])
                    if self._pg.iterative_scan:
                        conn.execute(
                            "SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true)"
                        )
                rows = conn.execute(statement, params).fetchall()
        except psycopg.Error as exc:
            raise StoreError(f"vector search failed: {exc}") from exc
        found = [(int(seq), -float(d)) for seq, d in rows]
        found.sort(key=lambda pair: -pair[1])  # relaxed order: nearly sorted
        return found
