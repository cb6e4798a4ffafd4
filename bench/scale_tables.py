"""Write the scale tables of docs/benchmarks.md from bench/results/scale.json.

python bench/scale_tables.py
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from memstrata.bench.report import markdown_table

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- scale:start -->", "<!-- scale:end -->"


def triple(v: dict[str, float]) -> str:
    return " / ".join(
        f"{v[k]:.2f}" if v[k] < 100 else f"{v[k]:,.0f}" for k in ("p50", "p95", "p99")
    )


def tables(results: list[dict[str, Any]]) -> str:
    ingest = [
        [
            f"{r['n']:,}",
            f"{r['ingest']['messages_per_s']:,.0f}",
            f"{r['add_one_ms']['p50']:.2f} / {r['add_one_ms']['p95']:.2f}",
            f"{r['cold_index_load_s']:.1f}",
            f"{r.get('segmentation_s', 0.0):.1f}",
            f"{r['ann_build_s']:.0f}" if r["uses_ann"] else "– (exact)",
            f"{r['dense_recall_at_10']:.3f}",
            f"{r['rss_mb']:,.0f}",
            f"{r['bytes_per_episode']:,.0f}",
        ]
        for r in results
    ]
    first = markdown_table(
        [
            "n",
            "ingest msg/s",
            "add() p50 / p95 ms",
            "cold index load s",
            "segmentation s",
            "HNSW build s",
            "dense R@10 vs exact",
            "RSS MB",
            "disk bytes/episode",
        ],
        ingest,
    )
    names = ["bm25", "dense", "memstrata", "numpy exact (baseline)", "sqlite fts5 bm25 (baseline)"]
    search = [[f"{r['n']:,}", *(triple(r["search_ms"][name]) for name in names)] for r in results]
    second = markdown_table(
        [
            "n",
            "bm25",
            "dense",
            "memstrata",
            "numpy exact (baseline)",
            "SQLite FTS5 bm25() (baseline)",
        ],
        search,
    )
    return (
        f"{first}\n\nSearch latency, p50 / p95 / p99 ms (memstrata's columns include query "
        "analysis, embedding, filtering and fetching the hits from SQLite; `memstrata` is the "
        "default search: seven retrievers, features and the ranker; the baselines do only "
        f"their own top-10):\n\n{second}"
    )


def main() -> None:
    results = json.loads((ROOT / "bench" / "results" / "scale.json").read_text())
    doc = ROOT / "docs" / "benchmarks.md"
    text = doc.read_text()
    head, rest = text.split(START)
    _, tail = rest.split(END)
    doc.write_text(f"{head}{START}\n{tables(results)}\n{END}{tail}")


if __name__ == "__main__":
    main()
