"""`memstrata bench locomo`: evidence-turn retrieval on LoCoMo, with baselines.

Each conversation goes into its own namespace (one episode per turn, the
session's date as occurred_at, dia_id in metadata). Every question is asked of
memstrata's default search and of three baselines built in the same process
over the same "Speaker: text" strings: bm25s BM25, exact dense search with the
same embedder, and their equal-weight RRF.
"""

from __future__ import annotations

import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from rich.console import Console

from memstrata.bench.baselines import Bm25sBaseline, DenseBaseline, rrf_baseline
from memstrata.bench.locomo_data import Conversation, load_locomo
from memstrata.bench.metrics import percentile, question_metrics
from memstrata.bench.report import bar_plot, markdown_table, write_json
from memstrata.memory import Memory
from memstrata.messages import index_text
from memstrata.providers.embed.base import embed_normalised

CATEGORIES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop", 5: "adversarial"}
SYSTEMS = ("memstrata", "bm25", "dense", "rrf")
DEPTH = 20
CANDIDATES = 100
METRICS = (
    "R@1",
    "R@5",
    "R@10",
    "R@20",
    "Hit@1",
    "Hit@5",
    "Hit@10",
    "Hit@20",
    "NDCG@10",
    "SessR@10",
)

Rows = dict[str, dict[str, list[dict[str, float]]]]


def _group_names(category: int) -> list[str]:
    own = f"{category} {CATEGORIES[category]}"
    return [own] if category == 5 else [own, "1-4 all"]


def _timed(latencies: list[float], call: Callable[[], list[str]]) -> list[str]:
    start = time.perf_counter()
    ranked = call()
    latencies.append((time.perf_counter() - start) * 1000)
    return ranked


def _memstrata_ranking(memory: Memory, namespace: str, question: str) -> list[str]:
    hits = memory.search(question, namespace=namespace, limit=DEPTH)
    return [str(h.metadata["dia_id"]) for h in hits]


def _score_conversation(
    memory: Memory, conv: Conversation, rows: Rows, latencies: dict[str, list[float]]
) -> None:
    messages = [
        {
            "id": f"{conv.sample_id}:{t.dia_id}",
            "content": t.text,
            "speaker": t.speaker,
            "occurred_at": t.occurred_at,
            "session_id": f"session_{t.session}",
            "metadata": {"dia_id": t.dia_id},
        }
        for t in conv.turns
    ]
    start = time.perf_counter()
    memory.add(messages, namespace=conv.sample_id)
    memory.events(namespace=conv.sample_id)  # segmentation, deferred by add()
    elapsed = time.perf_counter() - start
    latencies["ingest_per_turn"].append(elapsed * 1000 / len(messages))
    latencies["ingest_seconds"].append(elapsed)
    dia_ids = [t.dia_id for t in conv.turns]
    session_of = {t.dia_id: f"session_{t.session}" for t in conv.turns}
    texts = [index_text(t.speaker, t.text) for t in conv.turns]
    bm25 = Bm25sBaseline(texts)
    dense = DenseBaseline(embed_normalised(memory.embedder, texts))
    for q in conv.questions:
        ranked: dict[str, list[str]] = {}
        ranked["memstrata"] = _timed(
            latencies["memstrata"], partial(_memstrata_ranking, memory, conv.sample_id, q.text)
        )
        b = bm25.rank(q.text, CANDIDATES)
        d = dense.rank(embed_normalised(memory.embedder, [q.text])[0], CANDIDATES)
        ranked["bm25"] = [dia_ids[i] for i in b[:DEPTH]]
        ranked["dense"] = [dia_ids[i] for i in d[:DEPTH]]
        ranked["rrf"] = [dia_ids[i] for i in rrf_baseline(b, d, DEPTH)]
        for system in SYSTEMS:
            row = question_metrics(ranked[system], set(q.evidence), session_of)
            for group in _group_names(q.category):
                rows[system][group].append(row)


def _summary(rows: Rows) -> dict[str, dict[str, dict[str, float]]]:
    return {
        system: {
            group: {
                "n": float(len(items)),
                **{m: 100 * sum(r[m] for r in items) / len(items) for m in METRICS},
            }
            for group, items in sorted(groups.items(), key=lambda g: (g[0] != "1-4 all", g[0]))
        }
        for system, groups in rows.items()
    }


def run_locomo(data: Path, out_dir: Path, limit: int | None, console: Console) -> dict[str, Any]:
    conversations = load_locomo(data)[:limit]
    rows: Rows = {s: defaultdict(list) for s in SYSTEMS}
    latencies: dict[str, list[float]] = defaultdict(list)
    with tempfile.TemporaryDirectory() as tmp, Memory(Path(tmp) / "locomo.db") as memory:
        for conv in conversations:
            console.print(
                f"{conv.sample_id}: {len(conv.turns)} turns, {len(conv.questions)} questions"
            )
            _score_conversation(memory, conv, rows, latencies)
        embedder = memory.embedder.name
        stages = memory.timings.seconds()
        structure = [memory.stats(c.sample_id).namespaces[0] for c in conversations]
    ingest_seconds = sum(latencies.pop("ingest_seconds"))
    summary = _summary(rows)
    timing = {
        name: {
            "p50_ms": percentile(v, 50),
            "p95_ms": percentile(v, 95),
            "p99_ms": percentile(v, 99),
        }
        for name, v in latencies.items()
    }
    ingest = {
        "turns": sum(len(c.turns) for c in conversations),
        "seconds": ingest_seconds,
        "stage_seconds": stages,
        "entities": sum(n.entities for n in structure),
        "facts": sum(n.facts for n in structure),
        "notes": sum(n.notes for n in structure),
    }
    result = {
        "data": str(data),
        "conversations": len(conversations),
        "embedder": embedder,
        "summary": summary,
        "latency": timing,
        "ingest": ingest,
    }
    write_json(out_dir / "locomo.json", result)
    markdown = render_markdown(summary, timing) + "\n\n" + render_ingest(ingest)
    (out_dir / "locomo.md").write_text(markdown + "\n", encoding="utf-8")
    groups = [g for g in summary["memstrata"] if g != "5 adversarial"]
    bar_plot(
        out_dir / "locomo.png",
        "LoCoMo evidence recall@10 by category",
        groups,
        {s: [summary[s][g]["R@10"] for g in groups] for s in SYSTEMS},
        "R@10 (%)",
    )
    console.print(markdown)
    return result


def render_markdown(
    summary: dict[str, dict[str, dict[str, float]]], timing: dict[str, dict[str, float]]
) -> str:
    parts = []
    for group in summary["memstrata"]:
        n = int(summary["memstrata"][group]["n"])
        rows = [[s, *[summary[s][group][m] for m in METRICS]] for s in SYSTEMS]
        parts.append(f"### {group} (n={n})\n\n" + markdown_table(["system", *METRICS], rows))
    rows_t = [
        [name, f"{t['p50_ms']:.2f}", f"{t['p95_ms']:.2f}", f"{t['p99_ms']:.2f}"]
        for name, t in timing.items()
    ]
    parts.append("### latency (ms)\n\n" + markdown_table(["what", "p50", "p95", "p99"], rows_t))
    return "\n\n".join(parts)


def render_ingest(ingest: dict[str, Any]) -> str:
    stages = ingest["stage_seconds"]
    rows = [[name, f"{seconds:.2f}"] for name, seconds in stages.items()]
    rows.append(["total (add() and segmentation, wall time)", f"{ingest['seconds']:.2f}"])
    head = (
        f"### ingest\n\n{ingest['turns']} turns with offline extraction: "
        f"{ingest['entities']} entities, {ingest['facts']} facts, {ingest['notes']} notes.\n\n"
    )
    return head + markdown_table(["stage", "seconds"], rows)
