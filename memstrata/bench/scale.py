"""`memstrata bench scale`: ingest and search at growing sizes, one namespace.

Each size runs in a fresh process (so resident memory is its own) over a new
store: bulk ingest (with the static model unless MEMSTRATA_EMBEDDER names
another, see ``scale_embedder``), single-message add() latency,
cold index load, then search latency of BM25 alone, dense alone and the default
search (every retriever and the ranker), against a plain numpy exact top-k over
the same vectors and SQLite FTS5.
"""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
import tempfile
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console

from memstrata.bench import scale_embedder
from memstrata.bench.metrics import percentiles, process_mb, timed_ms
from memstrata.bench.report import bar_plot, markdown_table, write_json
from memstrata.index import analyzer
from memstrata.index.bm25 import top_k
from memstrata.memory import Memory
from memstrata.providers.embed.base import embed_normalised
from memstrata.testing.synthetic import ChatGenerator

BATCH = 1000
SINGLE_ADDS = 300
NAMESPACE = "scale"
_STATIC_MODEL = "minilm-static-256"  # rows measured before the embedder was recorded


def _latencies(calls: Sequence[Callable[[], object]]) -> dict[str, float]:
    return percentiles(timed_ms(calls))


def _ingest(memory: Memory, gen: ChatGenerator, n: int) -> dict[str, float]:
    embed_seconds = 0.0
    start = time.perf_counter()
    for offset in range(0, n, BATCH):
        batch = gen.messages(offset, min(BATCH, n - offset))
        if offset < 20 * BATCH:  # sample the embedder's share on the first 20k
            t = time.perf_counter()
            embed_normalised(memory.embedder, [f"{m['speaker']}: {m['content']}" for m in batch])
            embed_seconds += time.perf_counter() - t
        memory.add(batch, namespace=NAMESPACE)
    total = time.perf_counter() - start - embed_seconds
    sampled = min(n, 20 * BATCH)
    embed_rate = sampled / embed_seconds if embed_seconds else float("inf")
    # the store-and-index share: the embedder's estimated time taken out
    without = max(total - n / embed_rate, 1e-9)
    return {
        "seconds": total,
        "messages_per_s": n / total,
        "embed_only_per_s": embed_rate,
        "without_embedding_per_s": n / without,
    }


def _fts5_baseline(n: int, texts: Sequence[str], folder: Path) -> dict[str, float]:
    """SQLite FTS5 with bm25() over the same analyzed terms, OR-ed queries, top 10."""
    gen = ChatGenerator()
    conn = sqlite3.connect(folder / "fts5.db", isolation_level=None)
    conn.execute("CREATE VIRTUAL TABLE fts USING fts5(terms, tokenize = 'unicode61')")
    conn.execute("BEGIN")
    for offset in range(0, n, BATCH):
        batch = gen.messages(offset, min(BATCH, n - offset))
        conn.executemany(
            "INSERT INTO fts(terms) VALUES (?)",
            ((" ".join(analyzer.terms(f"{m['speaker']}: {m['content']}")),) for m in batch),
        )
    conn.execute("COMMIT")

    def query(text: str) -> object:
        terms = " OR ".join(f'"{t}"' for t in dict.fromkeys(analyzer.terms(text)))
        sql = "SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY rank LIMIT 10"
        return conn.execute(sql, (terms,)).fetchall() if terms else []

    result = _latencies([partial(query, t) for t in texts])
    conn.close()
    return result


def _search_latencies(
    memory: Memory, texts: Sequence[str], n: int, folder: Path
) -> dict[str, dict[str, float]]:
    """Latencies of memstrata's searches and of the two baselines over the same data."""
    search = {
        name: _latencies(
            [partial(memory.search, q, namespace=NAMESPACE, retrievers=chosen) for q in texts]
        )
        for name, chosen in (("bm25", ["bm25"]), ("dense", ["dense"]), ("memstrata", None))
    }
    index = memory.index(NAMESPACE)
    assert index is not None
    matrix = index.vectors.matrix()
    ids = np.arange(len(matrix))

    def exact(query: str) -> object:
        return top_k(ids, matrix @ embed_normalised(memory.embedder, [query], query=True)[0], 10)

    search["numpy exact (baseline)"] = _latencies([partial(exact, q) for q in texts])
    fts_queries = texts[: max(20, len(texts) * 10_000 // max(n, 10_000))]
    search["sqlite fts5 bm25 (baseline)"] = _fts5_baseline(n, fts_queries, folder)
    return search


def measure(n: int, queries: int) -> dict[str, Any]:
    gen = ChatGenerator()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scale.db"
        with Memory(path, embedder=scale_embedder()) as memory:
            ingest = _ingest(memory, gen, n)
            singles = [gen.messages(n + i, 1) for i in range(SINGLE_ADDS)]
            add_one = _latencies([partial(memory.add, m, namespace=NAMESPACE) for m in singles])
        rss_before = process_mb()
        with Memory(path) as memory:
            start = time.perf_counter()
            memory.search("warm up the index", namespace=NAMESPACE)
            cold_load = time.perf_counter() - start
            start = time.perf_counter()
            memory.events(namespace=NAMESPACE)  # the segmentation add() deferred
            segmentation = time.perf_counter() - start
            start = time.perf_counter()
            memory.flush()  # waits for an HNSW graph, if the size calls for one
            ann_build = time.perf_counter() - start
            texts = gen.queries(queries)
            search = _search_latencies(memory, texts, n, Path(tmp))
            dense_recall = _dense_recall(memory, texts)
            index = memory.index(NAMESPACE)
            uses_ann = index is not None and index.ann is not None
            disk = memory.store.bytes_on_disk()
        total = n + SINGLE_ADDS
        return {
            "n": n,
            "embedder": memory.embedder.name,
            "ingest": ingest,
            "add_one_ms": add_one,
            "cold_index_load_s": cold_load,
            "ann_build_s": ann_build,
            "segmentation_s": segmentation,
            "uses_ann": uses_ann,
            "dense_recall_at_10": dense_recall,
            "search_ms": search,
            "rss_mb": process_mb(),
            "index_rss_mb": process_mb() - rss_before,
            "bytes_per_episode": disk / total,
        }


def _dense_recall(memory: Memory, texts: Sequence[str]) -> float:
    """Mean overlap of memstrata's dense top-10 with exact top-10 (1.0 without a graph)."""
    index = memory.index(NAMESPACE)
    assert index is not None
    everything = np.ones(index.size, dtype=bool)
    overlaps = []
    for text in texts:
        query = embed_normalised(memory.embedder, [text])[0]
        served, _ = index.dense(query, 10, everything)
        exact, _ = index.vectors.search(query, 10, everything)
        overlaps.append(len(set(served.tolist()) & set(exact.tolist())) / 10)
    return sum(overlaps) / len(overlaps)


def run_scale(sizes: Sequence[int], out_dir: Path, queries: int, console: Console) -> list[Any]:
    """Measure each size in a fresh process. Rows of other sizes already in
    ``scale.json`` are kept, so sizes can be measured in separate runs."""
    fresh = []
    context = multiprocessing.get_context("spawn")
    for n in sizes:
        console.print(f"scale: n={n:,} ...")
        with context.Pool(1) as pool:
            fresh.append(pool.apply(measure, (n, queries)))
        console.print(render_markdown(fresh[-1:]))
    previous = out_dir / "scale.json"
    kept = json.loads(previous.read_text()) if previous.exists() else []
    measured = set(fresh[0]["search_ms"])
    model = fresh[0]["embedder"]
    kept = [  # same measures and embedder only
        r
        for r in kept
        if set(r["search_ms"]) == measured and r.get("embedder", _STATIC_MODEL) == model
    ]
    results = sorted([r for r in kept if r["n"] not in sizes] + fresh, key=lambda r: r["n"])
    write_json(out_dir / "scale.json", results)
    (out_dir / "scale.md").write_text(render_markdown(results) + "\n", encoding="utf-8")
    names = list(results[0]["search_ms"])
    bar_plot(
        out_dir / "scale.png",
        "search p95 latency (ms)",
        [f"{r['n']:,}" for r in results],
        {name: [r["search_ms"][name]["p95"] for r in results] for name in names},
        "ms",
    )
    return results


INGEST_COLUMNS: dict[str, Callable[[dict[str, Any]], str]] = {
    "n": lambda r: f"{r['n']:,}",
    "embedder": lambda r: r.get("embedder", _STATIC_MODEL),
    "ingest msg/s (with embedding)": lambda r: f"{r['ingest']['messages_per_s']:,.0f}",
    "embed only /s": lambda r: f"{r['ingest']['embed_only_per_s']:,.0f}",
    "without embedding msg/s": lambda r: f"{r['ingest']['without_embedding_per_s']:,.0f}",
    "add() p50 ms": lambda r: f"{r['add_one_ms']['p50']:.2f}",
    "add() p95 ms": lambda r: f"{r['add_one_ms']['p95']:.2f}",
    "cold index load s": lambda r: f"{r['cold_index_load_s']:.1f}",
    "segmentation s": lambda r: f"{r.get('segmentation_s', float('nan')):.1f}",
    "graph build s": lambda r: f"{r['ann_build_s']:.1f}",
    "dense": lambda r: "HNSW" if r["uses_ann"] else "exact",
    "dense R@10 vs exact": lambda r: f"{r['dense_recall_at_10']:.3f}",
    "RSS MB": lambda r: f"{r['rss_mb']:,.0f}",
    "disk bytes/episode": lambda r: f"{r['bytes_per_episode']:,.0f}",
}


def render_markdown(results: Sequence[dict[str, Any]]) -> str:
    ingest = [[show(r) for show in INGEST_COLUMNS.values()] for r in results]
    text = markdown_table(list(INGEST_COLUMNS), ingest)
    rows = [
        [f"{r['n']:,}", name, f"{v['p50']:.2f}", f"{v['p95']:.2f}", f"{v['p99']:.2f}"]
        for r in results
        for name, v in r["search_ms"].items()
    ]
    return text + "\n\n" + markdown_table(["n", "search", "p50 ms", "p95 ms", "p99 ms"], rows)
