"""Recall and latency of usearch HNSW against exact search, over graph and search breadth.

On memstrata's own vectors (the default embedder over seeded synthetic chat),
for M (connectivity) 16 and 32 and efSearch 64..512; this chose the defaults
(M = 16 for build time, efSearch = 512, MEMSTRATA_ANN_EF_SEARCH).

    python bench/ann_sweep.py --n 200000 --queries 200
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from usearch.index import Index

from memstrata.bench.metrics import percentile
from memstrata.bench.report import markdown_table
from memstrata.providers.embed.base import embed_normalised
from memstrata.providers.embed.static import StaticEmbedder
from memstrata.testing.synthetic import ChatGenerator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    embedder, gen = StaticEmbedder(), ChatGenerator()
    data = embed_normalised(
        embedder, [f"{m['speaker']}: {m['content']}" for m in gen.messages(0, args.n)]
    )
    queries = embed_normalised(embedder, gen.queries(args.queries))
    truth = np.argsort(-(queries @ data.T), axis=1)[:, :10]
    rows = []
    for connectivity in (16, 32):
        index = Index(
            ndim=data.shape[1],
            metric="ip",
            dtype="f16",
            connectivity=connectivity,
            expansion_add=128,
        )
        start = time.perf_counter()
        index.add(np.arange(args.n, dtype=np.uint64), data, threads=2)
        build = time.perf_counter() - start
        for ef in (64, 128, 256, 512):
            setattr(index, "expansion_search", ef)  # noqa: B010 - typed read-only, settable
            times, recalls = [], []
            for query, expected in zip(queries, truth, strict=True):
                start = time.perf_counter()
                keys = index.search(query, 10).keys
                times.append((time.perf_counter() - start) * 1000)
                recalls.append(len(set(keys.tolist()) & set(expected.tolist())) / 10)
            rows.append(
                [
                    connectivity,
                    ef,
                    f"{build:.0f}",
                    f"{np.mean(recalls):.3f}",
                    f"{percentile(times, 50):.2f}",
                    f"{percentile(times, 95):.2f}",
                ]
            )
    print(f"n={args.n:,}, 256 dimensions, f16\n")
    print(markdown_table(["M", "efSearch", "build s", "recall@10", "p50 ms", "p95 ms"], rows))


if __name__ == "__main__":
    main()
