"""Compare HNSW libraries on memstrata's own vectors, side by side in one process.

The vectors are the default embedder's (minilm-static-256) over seeded
synthetic chat episodes; queries are embedded synthetic queries. Every
library gets M=16, efConstruction=128, efSearch=96 and 2 threads for the build.
Recall@10 is measured against exact numpy search.

    pip install hnswlib==0.8.0 faiss-cpu==1.15.1
    python bench/ann_compare.py --n 100000 --queries 300
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from memstrata.bench.metrics import percentile
from memstrata.bench.report import markdown_table
from memstrata.providers.embed.base import embed_normalised
from memstrata.providers.embed.static import StaticEmbedder
from memstrata.testing.synthetic import ChatGenerator

M, EF_ADD, EF_SEARCH, K = 16, 128, 96, 10


def timed_queries(
    search: Callable[[np.ndarray], np.ndarray], queries: np.ndarray, truth: np.ndarray
) -> dict[str, float]:
    times, recalls = [], []
    for query, expected in zip(queries, truth, strict=True):
        start = time.perf_counter()
        found = search(query)
        times.append((time.perf_counter() - start) * 1000)
        recalls.append(len(set(found.tolist()) & set(expected.tolist())) / K)
    return {
        "p50_ms": percentile(times, 50),
        "p95_ms": percentile(times, 95),
        "recall@10": float(np.mean(recalls)),
    }


def usearch_keys(index: Any, query: np.ndarray) -> np.ndarray:
    keys: np.ndarray = index.search(query, K).keys
    return keys


def run(n: int, queries: int) -> list[dict[str, object]]:
    embedder = StaticEmbedder()
    gen = ChatGenerator()
    texts = [f"{m['speaker']}: {m['content']}" for m in gen.messages(0, n)]
    data = embed_normalised(embedder, texts)
    query_vectors = embed_normalised(embedder, gen.queries(queries))
    truth = np.argsort(-(query_vectors @ data.T), axis=1)[:, :K]
    keys = np.arange(n)
    rows: list[dict[str, object]] = []

    def exact(q: np.ndarray) -> np.ndarray:
        scores = data @ q
        top = np.argpartition(-scores, K)[:K]
        return top[np.argsort(-scores[top])]

    rows.append(
        {
            "index": "numpy exact",
            "build_s": 0.0,
            "deletes": "yes",
            **timed_queries(exact, query_vectors, truth),
        }
    )

    from usearch.index import Index

    for dtype in ("f32", "f16"):
        index = Index(
            ndim=data.shape[1],
            metric="ip",
            dtype=dtype,
            connectivity=M,
            expansion_add=EF_ADD,
            expansion_search=EF_SEARCH,
        )
        start = time.perf_counter()
        index.add(keys.astype(np.uint64), data, threads=2)
        build = time.perf_counter() - start
        rows.append(
            {
                "index": f"usearch 2.26.6 {dtype}",
                "build_s": build,
                "deletes": "yes (remove)",
                **timed_queries(partial(usearch_keys, index), query_vectors, truth),
            }
        )

    import hnswlib

    graph = hnswlib.Index(space="ip", dim=data.shape[1])
    graph.init_index(max_elements=n, M=M, ef_construction=EF_ADD, allow_replace_deleted=True)
    graph.set_num_threads(2)
    start = time.perf_counter()
    graph.add_items(data, keys)
    build = time.perf_counter() - start
    graph.set_ef(EF_SEARCH)
    graph.set_num_threads(1)
    rows.append(
        {
            "index": "hnswlib 0.8.0",
            "build_s": build,
            "deletes": "mark_deleted",
            **timed_queries(lambda q: graph.knn_query(q, K)[0][0], query_vectors, truth),
        }
    )

    import faiss

    faiss.omp_set_num_threads(2)
    flat = faiss.IndexHNSWFlat(data.shape[1], M, faiss.METRIC_INNER_PRODUCT)
    flat.hnsw.efConstruction = EF_ADD
    start = time.perf_counter()
    flat.add(data)
    build = time.perf_counter() - start
    flat.hnsw.efSearch = EF_SEARCH
    faiss.omp_set_num_threads(1)
    rows.append(
        {
            "index": "faiss-cpu 1.15.1 HNSWFlat",
            "build_s": build,
            "deletes": "no",
            **timed_queries(lambda q: flat.search(q[None, :], K)[1][0], query_vectors, truth),
        }
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args()
    rows = run(args.n, args.queries)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "ann_compare.json").write_text(json.dumps(rows, indent=2) + "\n")
    table = markdown_table(
        ["index", "build s", "p50 ms", "p95 ms", "recall@10", "deletes"],
        [
            [
                r["index"],
                f"{r['build_s']:.1f}",
                f"{r['p50_ms']:.2f}",
                f"{r['p95_ms']:.2f}",
                f"{r['recall@10']:.3f}",
                r["deletes"],
            ]
            for r in rows
        ],
    )
    (args.out / "ann_compare.md").write_text(f"n={args.n:,}, dims=256\n\n{table}\n")
    print(table)


if __name__ == "__main__":
    main()
