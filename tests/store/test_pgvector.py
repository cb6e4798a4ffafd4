"""PostgreSQL with pgvector: vectors stored as ``vector`` values, and dense search
served by a per-namespace HNSW index in the database once a namespace is large."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import pytest

from memstrata import Memory, Settings
from memstrata.index.namespace_index import Selection
from memstrata.model import Episode
from memstrata.store import open_store
from memstrata.store.base import NewEpisode, VectorSearch
from memstrata.store.postgres import vectors
from memstrata.store.postgres.schema import INITIAL
from memstrata.store.postgres.schema import SCHEMA_VERSION as PG_SCHEMA_VERSION
from memstrata.store.postgres.store import PostgresStore
from memstrata.store.postgres.vectors import graph_lock, graph_name
from memstrata.testing import HashEmbedder
from memstrata.testing.pg import new_database
from memstrata.timeutil import now
from tests.index.test_ann import texts

DIMS = 32


@pytest.fixture
def url(pg_server: Any) -> str:
    return new_database(pg_server)


@pytest.fixture
def pg(url: str) -> Iterator[PostgresStore]:
    store = open_store(url)
    assert isinstance(store, PostgresStore)
    yield store
    store.close()


def unit_vectors(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((n, DIMS)).astype(np.float32)
    normalised: np.ndarray = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return normalised


def put(store: PostgresStore, namespace: str, vectors: np.ndarray) -> list[int]:
    """Episodes carrying ``vectors``; their seqs in order."""
    at = now()
    items = [
        NewEpisode(
            Episode(
                id=f"{namespace}-{i}",
                namespace=namespace,
                content=f"row {i}",
                occurred_at=at,
                recorded_at=at,
            ),
            terms=f"row {i}",
            vector=v.tobytes(),
        )
        for i, v in enumerate(vectors)
    ]
    store.episodes.add(namespace, items, "m")
    return [min(store.episodes.seqs_of(namespace, [item.episode.id])) for item in items]


def memory(where: str | Path, threshold: int = 100) -> Memory:
    settings = Settings.load({}, path=str(where), ann_threshold=threshold)
    return Memory(settings=settings, embedder=HashEmbedder(dimensions=DIMS))


def test_vectors_are_pgvector_values_read_back_bit_for_bit(pg: PostgresStore) -> None:
    vectors = unit_vectors(20)
    put(pg, "a", vectors)
    changes = pg.changes.since("a", 0, "m")
    assert [np.frombuffer(c.vector or b"", np.float32).tolist() for c in changes] == (
        vectors.tolist()
    )
    with pg._db.reader() as conn:
        types = conn.execute(
            "SELECT DISTINCT pg_typeof(vector)::text, namespace FROM vectors"
        ).fetchall()
    assert types == [("vector", "a")]


def test_nearest_agrees_with_exact_search_and_stays_in_its_namespace(pg: PostgresStore) -> None:
    assert isinstance(pg.vectors, VectorSearch)
    mine, theirs = unit_vectors(300, seed=1), unit_vectors(300, seed=2)
    seqs = put(pg, "a", mine)
    other = set(put(pg, "b", theirs))
    assert not pg.vectors.has_graph("a", "m")
    pg.vectors.build_graph("a", "m", DIMS)
    pg.vectors.build_graph("a", "m", DIMS)  # idempotent
    assert pg.vectors.has_graph("a", "m") and not pg.vectors.has_graph("b", "m")
    for query in unit_vectors(10, seed=3):
        exact = np.argsort(-(mine @ query))[:10]
        found = pg.vectors.nearest("a", "m", query, 10, breadth=400)
        assert [seq for seq, _ in found] == [seqs[i] for i in exact]
        assert np.allclose([s for _, s in found], (mine @ query)[exact], atol=1e-5)
        among = [seqs[i] for i in range(0, 300, 3)] + sorted(other)[:50]
        narrow = pg.vectors.nearest("a", "m", query, 5, among=among)
        best = sorted(range(0, 300, 3), key=lambda i: -float(mine[i] @ query))[:5]
        assert [seq for seq, _ in narrow] == [seqs[i] for i in best]
        assert not other & {seq for seq, _ in found + narrow}


def test_large_selections_filter_an_iterative_graph_scan(
    pg: PostgresStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine = unit_vectors(300, seed=4)
    seqs = put(pg, "a", mine)
    put(pg, "b", unit_vectors(100, seed=5))
    pg.vectors.build_graph("a", "m", DIMS)
    monkeypatch.setattr(vectors, "EXACT_LIMIT", 50)  # 100 selected rows: through the graph

    def refuse(*args: Any) -> None:
        raise AssertionError("scored exactly")

    monkeypatch.setattr(vectors.PgVectors, "_exact", refuse)
    chosen = list(range(0, 300, 3))
    for query in unit_vectors(5, seed=6):
        found = pg.vectors.nearest("a", "m", query, 8, among=[seqs[i] for i in chosen], breadth=400)
        best = sorted(chosen, key=lambda i: -float(mine[i] @ query))[:8]
        assert [seq for seq, _ in found] == [seqs[i] for i in best]


def test_the_graph_is_an_index_on_that_namespace_alone(pg: PostgresStore) -> None:
    put(pg, "a", unit_vectors(50))
    pg.vectors.build_graph("a", "m", DIMS)
    with pg._db.reader() as conn:
        row = conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = %s", [graph_name("a", "m")]
        ).fetchone()
    assert row is not None
    definition = str(row[0])
    assert "hnsw" in definition and "vector_ip_ops" in definition
    assert "'a'::text" in definition and "'m'::text" in definition


def test_purging_a_namespace_or_dropping_the_vectors_drops_their_graphs(
    pg: PostgresStore,
) -> None:
    for namespace in ("a", "a_b", "a2"):  # "_" is no wildcard; "a" is no prefix of "a2"
        put(pg, namespace, unit_vectors(30))
        pg.vectors.build_graph(namespace, "m", DIMS)
    pg.episodes.purge_namespace("a")
    assert not pg.vectors.has_graph("a", "m")
    assert pg.vectors.has_graph("a_b", "m") and pg.vectors.has_graph("a2", "m")
    pg.vectors.drop_all()
    assert not pg.vectors.has_graph("a_b", "m") and not pg.vectors.has_graph("a2", "m")


def test_a_store_from_the_first_schema_is_migrated_with_its_vectors(url: str) -> None:
    vectors = unit_vectors(7)
    with psycopg.connect(url, autocommit=True) as conn:  # a version-1 database by hand
        conn.execute(INITIAL)
        conn.execute("CREATE TABLE memstrata_schema(version INTEGER NOT NULL)")
        conn.execute("INSERT INTO memstrata_schema VALUES (1)")
        conn.execute("INSERT INTO namespaces VALUES ('a', 1)")
        for i, v in enumerate(vectors):
            row = conn.execute(
                "INSERT INTO episodes(episode_id, namespace, content, terms, occurred_at, "
                "recorded_at) VALUES (%s, 'a', 'x', 'x', 1, 1) RETURNING seq",
                [f"e{i}"],
            ).fetchone()
            assert row is not None
            seq = row[0]
            conn.execute("INSERT INTO changes(namespace, seq, op) VALUES ('a', %s, 'add')", [seq])
            conn.execute(
                "INSERT INTO vectors(seq, model, dims, vector) VALUES (%s, 'm', %s, %s)",
                [seq, DIMS, v.tobytes()],
            )
    store = open_store(url)
    try:
        assert isinstance(store, PostgresStore) and store.schema_version == PG_SCHEMA_VERSION
        read = [
            np.frombuffer(c.vector or b"", np.float32) for c in store.changes.since("a", 0, "m")
        ]
        assert np.array_equal(np.stack(read), vectors)
    finally:
        store.close()


def test_large_namespaces_search_in_the_database_as_they_did_in_process(
    url: str, tmp_path: Path
) -> None:
    sessions = [f"s{i % 4}" for i in range(300)]
    with memory(url) as mem, memory(tmp_path / "ref.db", threshold=10**6) as ref:
        for m in (mem, ref):
            m.add(
                [{"content": t, "session_id": s} for t, s in zip(texts(300), sessions, strict=True)]
            )
            m.flush()
        index = mem.index("default")
        assert index is not None and index.in_database and index.vectors.count == 0

        def same(query: str, filters: Selection) -> None:
            """The dense retriever ranks alike: equal scores, the same episodes at
            each score (ties come in either order, the last tie group may be cut
            elsewhere)."""
            ranked = []
            for m in (mem, ref):
                index = m.index("default")
                assert index is not None
                vector = m._embed([query])
                assert vector is not None
                positions, scores = index.dense(vector[0], 30, index.mask(filters))
                pairs = [
                    (s, round(float(x), 4))
                    for s, x in zip(index.seq_at(positions), scores, strict=True)
                ]
                ranked.append(pairs)
            ours, theirs = ranked
            assert [x for _, x in ours] == [x for _, x in theirs]
            last = ours[-1][1]
            assert {p for p in ours if p[1] != last} == {p for p in theirs if p[1] != last}

        for query in ["tea lyon", "cat piano", "snow river hike", "note 7"]:
            same(query, Selection())  # broad: the database's graph
            same(query, Selection(session_id="s2"))  # narrow: exact in the database
            assert [h.text for h in mem.search(query, limit=3)] == [
                h.text for h in ref.search(query, limit=3)
            ]
        (late,) = mem.add("a completely new zebra sentence")
        assert mem.search("a completely new zebra sentence", retrievers=["dense"])[0].id == late.id
        mem.delete(late.id)
        assert late.id not in {h.id for h in mem.search("zebra sentence", retrievers=["dense"])}
        victim = mem.search(texts(300)[5], retrievers=["dense"], limit=1)[0]
        mem.purge(victim.id)
        assert victim.id not in {h.id for h in mem.search(victim.text, retrievers=["dense"])}
    with memory(url) as again:  # a new process: no vectors replayed, the database serves them
        index = again.index("default")
        assert index is not None and index.in_database and index.vectors.count == 0
        assert again.search(texts(300)[9], retrievers=["dense"], limit=1)[0].text == texts(300)[9]


def test_a_graph_another_process_is_building_is_waited_for(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as other:
        lock = graph_lock(graph_name("default", HashEmbedder(dimensions=DIMS).name))
        other.execute("SELECT pg_advisory_lock(%s)", [lock])  # "building" elsewhere
        with memory(url) as mem:
            mem.add(texts(150))
            mem.flush()
            index = mem.index("default")
            assert index is not None and not index.in_database and index.vectors.count == 150
            hit = mem.search(texts(150)[3], retrievers=["dense"], limit=1)[0]
            assert hit.text == texts(150)[3]  # still served, in process
            other.execute("SELECT pg_advisory_unlock(%s)", [lock])
            mem.add("one more sentence")  # the next change looks again, and builds it
            mem.flush()
            assert index.in_database and index.vectors.count == 0


def test_small_namespaces_keep_searching_in_process(url: str) -> None:
    with memory(url, threshold=1000) as mem:
        mem.add(texts(50))
        mem.flush()
        index = mem.index("default")
        assert index is not None and not index.in_database and index.vectors.count == 50
        assert isinstance(mem.store, PostgresStore)
        assert not mem.store.vectors.has_graph("default", mem.embedder.name)
