"""`memstrata bench pgvector`: dense search of one large namespace in process or in
PostgreSQL (pgvector HNSW), side by side over the same vectors and queries.

N synthetic chat messages go into one namespace of a throwaway PostgreSQL
(extraction off, so the time is the vectors'). Then, for the same query vectors:
exact numpy search over the process's matrix (the reference for recall@10),
usearch HNSW in process, pgvector HNSW in the database at several search
breadths, and a narrow filter (the newest 5 %) served exactly on each side.
Finally the whole search (every retriever and the ranker) with dense search in
process and in the database, a fresh process's first search in each mode,
and the memory the process no longer holds.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console

from memstrata.bench import scale_embedder
from memstrata.bench.metrics import percentiles
from memstrata.bench.report import markdown_table, write_results
from memstrata.config import Settings
from memstrata.index.ann import AnnIndex
from memstrata.index.namespace_index import NamespaceIndex, Selection
from memstrata.memory import Memory
from memstrata.providers.embed.base import embed_normalised
from memstrata.store.base import VectorSearch
from memstrata.testing.pg import location
from memstrata.testing.synthetic import ChatGenerator

BATCH = 1000
NAMESPACE = "large"
BREADTHS = (40, 100, 512)
Rows = dict[str, dict[str, Any]]


def _timed(calls: Sequence[Callable[[], Any]]) -> tuple[dict[str, float], list[Any]]:
    times, results = [], []
    for call in calls:
        start = time.perf_counter()
        results.append(call())
        times.append((time.perf_counter() - start) * 1000)
    return percentiles(times), results


def _recall(found: Sequence[Sequence[int]], exact: Sequence[Sequence[int]]) -> float:
    return float(
        np.mean([len(set(f[:10]) & set(e[:10])) / 10 for f, e in zip(found, exact, strict=True)])
    )


def _memory(where: str | Path, threshold: int, breadth: int | None = None) -> Memory:
    extra = {} if breadth is None else {"ann_ef_search": breadth}
    settings = Settings.load(
        {},
        path=str(where),
        embedder=scale_embedder(),
        extractor="none",
        ann_threshold=threshold,
        **extra,
    )
    return Memory(settings=settings)


def _index(memory: Memory) -> NamespaceIndex:
    index = memory.index(NAMESPACE)
    assert index is not None
    return index


def _first_search(where: str | Path, threshold: int, query: str) -> tuple[float, bool, int]:
    """A fresh process's first search: seconds, whether the database served dense
    search, and the bytes of vectors the process holds afterwards."""
    with _memory(where, threshold) as memory:
        start = time.perf_counter()
        memory.search(query, namespace=NAMESPACE, reinforce=False)
        seconds = time.perf_counter() - start
        index = _index(memory)
        held = int(index.vectors.matrix().nbytes)
        return seconds, index.in_database, held


def _search(memory: Memory, text: str) -> list[str]:
    return [h.id for h in memory.search(text, namespace=NAMESPACE, reinforce=False)]


def _ingest(memory: Memory, gen: ChatGenerator, n: int, console: Console) -> float:
    """Seconds to add ``n`` messages in batches (vectors and all)."""
    start = time.perf_counter()
    for offset in range(0, n, BATCH):
        memory.add(gen.messages(offset, min(BATCH, n - offset)), namespace=NAMESPACE)
        if offset % (50 * BATCH) == 0:
            console.print(f"{offset + BATCH} / {n}")
    seconds = time.perf_counter() - start
    memory.flush()
    return seconds


def _seqs(found: Sequence[Sequence[tuple[int, float]]]) -> list[list[int]]:
    return [[seq for seq, _ in pairs] for pairs in found]


def _in_process_rows(index: NamespaceIndex, vectors: np.ndarray, rows: Rows) -> list[list[int]]:
    """Exact search (the reference, returned) and a usearch graph over the matrix."""
    everything = index.mask(Selection())
    stats, found = _timed([partial(index.dense, q, 10, everything) for q in vectors])
    exact = [index.seq_at(p) for p, _ in found]
    rows["in process: exact (numpy)"] = {"ms": stats, "recall@10": 1.0}
    start = time.perf_counter()
    ann = AnnIndex(index.vectors.dimensions)
    ann.add(np.asarray(index.seq_at(np.arange(index.size)), dtype=np.int64), index.vectors.matrix())
    build = time.perf_counter() - start
    stats, found_ann = _timed([partial(ann.search, q, 10) for q in vectors])
    rows["in process: usearch HNSW"] = {
        "ms": stats,
        "recall@10": _recall([s.tolist() for s, _ in found_ann], exact),
        "build s": build,
    }
    return exact


def _database_rows(
    database: VectorSearch, model: str, vectors: np.ndarray, exact: list[list[int]], rows: Rows
) -> None:
    """pgvector's graph: its build, then search at each breadth."""
    start = time.perf_counter()
    database.build_graph(NAMESPACE, model, vectors.shape[1])
    build = time.perf_counter() - start
    for breadth in BREADTHS:
        calls = [
            partial(database.nearest, NAMESPACE, model, q, 10, breadth=breadth) for q in vectors
        ]
        stats, found = _timed(calls)
        rows[f"PostgreSQL: pgvector HNSW, ef_search {breadth}"] = {
            "ms": stats,
            "recall@10": _recall(_seqs(found), exact),
            "build s": build,
        }


def _narrow_rows(
    index: NamespaceIndex, database: VectorSearch, model: str, vectors: np.ndarray, rows: Rows
) -> None:
    """The newest 5 %, exactly on each side."""
    newest = np.quantile(index.occurred(np.arange(index.size)), 0.95)
    narrow = index.mask(Selection(since_us=int(newest)))
    stats, found = _timed([partial(index.dense, q, 10, narrow) for q in vectors])
    narrow_exact = [index.seq_at(p) for p, _ in found]
    rows["newest 5 %, in process: exact"] = {"ms": stats, "recall@10": 1.0}
    among = index.seq_at(np.flatnonzero(narrow))
    calls = [partial(database.nearest, NAMESPACE, model, q, 10, among=among) for q in vectors]
    stats, found_db = _timed(calls)
    rows["newest 5 %, PostgreSQL: exact over the selection"] = {
        "ms": stats,
        "recall@10": _recall(_seqs(found_db), narrow_exact),
    }


def measure(n: int, queries: int, console: Console) -> dict[str, Any]:
    gen = ChatGenerator()
    texts = gen.queries(queries)
    everything_in_process = 10 * n + 1_000_000
    rows: Rows = {}
    with (
        tempfile.TemporaryDirectory() as folder,
        location(Path(folder), "postgres", "") as where,
    ):
        with _memory(where, everything_in_process) as memory:
            ingest_s = _ingest(memory, gen, n, console)
            model, dims = memory.embedder.name, memory.embedder.dimensions
            database = memory.store.vectors
            assert isinstance(database, VectorSearch)
            vectors = embed_normalised(memory.embedder, texts)
            index = _index(memory)
            in_process_first = _first_search(where, everything_in_process, texts[0])
            exact = _in_process_rows(index, vectors, rows)
            _database_rows(database, model, vectors, exact, rows)
            _narrow_rows(index, database, model, vectors, rows)
            stats, in_process = _timed([partial(_search, memory, t) for t in texts])
            rows["whole search, dense in process"] = {"ms": stats}
        # a graph in the database serves every process from now on, whatever its threshold
        database_first = _first_search(where, everything_in_process, texts[0])
        for ef in (None, *BREADTHS[:2]):  # the default breadth (512), then narrower
            with _memory(where, everything_in_process, ef) as memory:
                _index(memory)
                stats, served = _timed([partial(_search, memory, t) for t in texts])
                name = "whole search, dense in PostgreSQL"
                if ef is not None:
                    name += f", ef_search {ef}"
                rows[name] = {
                    "ms": stats,
                    "top-10 overlap with in process": _recall(served, in_process),
                }
                size = memory.store.bytes_on_disk()
    return {
        "episodes": n,
        "queries": queries,
        "dimensions": dims,
        "embedder": model,
        "ingest msg/s": n / ingest_s,
        "database bytes": size,
        "rows": rows,
        "first search s": {"in process": in_process_first[0], "PostgreSQL": database_first[0]},
        "vector bytes held by the process": {
            "in process": in_process_first[2],
            "PostgreSQL": database_first[2],
        },
        "served by the database": database_first[1],
    }


def render(result: dict[str, Any]) -> str:
    rows = []
    for name, row in result["rows"].items():
        ms = row["ms"]
        recall = row.get("recall@10", row.get("top-10 overlap with in process"))
        build = row.get("build s")
        rows.append(
            [
                name,
                f"{ms['p50']:.2f}",
                f"{ms['p95']:.2f}",
                f"{ms['p99']:.2f}",
                "" if recall is None else f"{recall:.3f}",
                "" if build is None else f"{build:.1f}",
            ]
        )
    first = result["first search s"]
    held = result["vector bytes held by the process"]
    lines = [
        f"# Dense search: in process vs PostgreSQL (pgvector), {result['episodes']:,} episodes",
        "",
        f"One namespace, {result['dimensions']}-dimensional vectors of "
        f"{result.get('embedder', 'minilm-static-256')}, "
        f"{result['queries']} queries; ingest {result['ingest msg/s']:.0f} messages/s "
        f"(extraction off); database {result['database bytes'] / 1e6:.0f} MB.",
        "",
        markdown_table(
            ["dense search (top 10)", "p50 ms", "p95 ms", "p99 ms", "recall@10", "build s"],
            rows,
        ),
        "",
        "recall@10: overlap with exact search; for the whole search, overlap of its top 10 "
        "with the in-process one.",
        "",
        markdown_table(
            ["a fresh process", "first search s", "vector MB held"],
            [
                [
                    "dense in process",
                    f"{first['in process']:.1f}",
                    f"{held['in process'] / 1e6:.0f}",
                ],
                [
                    "dense in PostgreSQL",
                    f"{first['PostgreSQL']:.1f}",
                    f"{held['PostgreSQL'] / 1e6:.0f}",
                ],
            ],
        ),
        "",
    ]
    return "\n".join(lines)


def run_pgvector(out_dir: Path, n: int, queries: int, console: Console) -> dict[str, Any]:
    result = measure(n, queries, console)
    text = render(result)
    write_results(out_dir, f"pgvector-{n}", result, text)
    console.print(text)
    return result
