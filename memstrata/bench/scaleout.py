"""`memstrata bench scaleout`: many namespaces in one store (the service's shape).

N synthetic chat messages go in 500-message batches, each batch to the next of
M namespaces in turn (extraction on). Then Q searches in random namespaces:
the first search of a namespace in this process builds its in-memory index
from the store's logs (cold), later ones are warm. Reported: ingest rate,
cold and warm search p50/p95/p99, bytes in the store.
"""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console

from memstrata.bench import scale_embedder
from memstrata.bench.metrics import percentiles
from memstrata.bench.report import markdown_table, write_results
from memstrata.memory import Memory
from memstrata.testing.pg import location
from memstrata.testing.synthetic import ChatGenerator

BATCH = 500


def run_scaleout(
    out_dir: Path, n: int, namespaces: int, queries: int, backend: str, console: Console
) -> dict[str, Any]:
    gen = ChatGenerator()
    rng = random.Random(5)
    texts = gen.queries(queries)
    with (
        tempfile.TemporaryDirectory() as folder,
        location(Path(folder), backend, "scaleout.db") as where,
    ):
        with Memory(where, embedder=scale_embedder()) as memory:
            started = time.perf_counter()
            for number, start in enumerate(range(0, n, BATCH)):
                ns = f"user-{number % namespaces:05d}"
                memory.add(gen.messages(start, min(BATCH, n - start)), namespace=ns)
                if number % 100 == 0:
                    console.print(f"{start + BATCH} / {n}")
            ingest_s = time.perf_counter() - started
            size = memory.store.bytes_on_disk()
        with Memory(where) as memory:  # a fresh process's view: every index cold
            cold: list[float] = []
            warm: list[float] = []
            seen: set[str] = set()
            for text in texts:
                ns = f"user-{rng.randrange(min(namespaces, n // BATCH or 1)):05d}"
                began = time.perf_counter()
                memory.search(text, namespace=ns, reinforce=False)
                (warm if ns in seen else cold).append(1000 * (time.perf_counter() - began))
                seen.add(ns)
    result = {
        "backend": backend,
        "episodes": n,
        "namespaces": namespaces,
        "ingest msg/s": n / ingest_s,
        "ingest seconds": ingest_s,
        "bytes": size,
        "search cold ms": percentiles(cold),
        "search warm ms": percentiles(warm),
        "cold searches": len(cold),
        "warm searches": len(warm),
    }
    markdown = render(result)
    write_results(out_dir, f"scaleout-{backend}-{n}", result, markdown)
    console.print(markdown)
    return result


def render(result: dict[str, Any]) -> str:
    head = (
        f"### {result['episodes']:,} episodes in {result['namespaces']:,} namespaces, "
        f"{result['backend']}\n\nIngest {result['ingest msg/s']:.0f} messages/s "
        f"({result['ingest seconds']:.0f} s, extraction on); "
        f"store {result['bytes'] / 1e6:.0f} MB.\n\n"
    )
    rows = [
        [
            kind,
            result[f"{kind} searches"],
            *(f"{result[f'search {kind} ms'][p]:.1f}" for p in ("p50", "p95", "p99")),
        ]
        for kind in ("cold", "warm")
    ]
    return head + markdown_table(["search", "count", "p50 ms", "p95 ms", "p99 ms"], rows)
