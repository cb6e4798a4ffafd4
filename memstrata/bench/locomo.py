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
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from rich.console import Console

from memstrata.bench.baselines import (
    Bm25sBaseline,
    DenseBaseline,
    PostgresFullText,
    rrf_baseline,
)
from memstrata.bench.learn import (
    COMPONENTS,
    QuestionRows,
    collect,
    cross_validate,
    fit_rows,
    without,
)
from memstrata.bench.locomo_data import Conversation, Question, load_locomo
from memstrata.bench.metrics import percentile, question_metrics
from memstrata.bench.report import bar_plot, markdown_table, write_results
from memstrata.memory import Memory
from memstrata.messages import index_text
from memstrata.model import NamespaceStats
from memstrata.providers.embed.base import embed_normalised
from memstrata.testing.pg import location

CATEGORIES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop", 5: "adversarial"}
SYSTEMS = ("memstrata", "memstrata held-out", "memstrata +1 round", "bm25", "dense", "rrf")
# on PostgreSQL, also the database's own full-text ranking of the stored episodes
PG_SYSTEMS = tuple(f"postgres {f}" for f in PostgresFullText.FUNCTIONS)
BUDGETS = (500, 1000, 2000)
HEADLINE = ("R@10", "Hit@10")
DEPTH = 20
BUDGET_DEPTH = 100
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


def _memstrata_ranking(
    memory: Memory, namespace: str, question: str, now: datetime, limit: int, rounds: int = 0
) -> list[str]:
    hits = memory.search(
        question, namespace=namespace, limit=limit, now=now, rounds=rounds, reinforce=False
    )
    return [str(h.metadata["dia_id"]) for h in hits]


def _score_conversation(
    memory: Memory,
    conv: Conversation,
    rows: Rows,
    latencies: dict[str, list[float]],
    budgets: dict[int, list[float]],
) -> None:
    messages = turn_messages(conv)
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
    full_text = PostgresFullText(memory.store, conv.sample_id) if PG_SYSTEMS[0] in rows else None
    now = asked_at(conv)
    tokens = {t.dia_id: estimate_tokens(t.text) for t in conv.turns}
    for q in conv.questions:
        ranked: dict[str, list[str]] = {}
        ranked["memstrata"] = _timed(
            latencies["memstrata (limit 20)"],
            partial(_memstrata_ranking, memory, conv.sample_id, q.text, now, DEPTH),
        )
        for stage, ms in memory.last_search_ms.items():
            latencies[f"  {stage}"].append(ms)
        ranked["memstrata +1 round"] = _timed(
            latencies["memstrata +1 round (limit 20)"],
            partial(_memstrata_ranking, memory, conv.sample_id, q.text, now, DEPTH, 1),
        )
        if q.category != 5:
            deep = _memstrata_ranking(memory, conv.sample_id, q.text, now, BUDGET_DEPTH)
            for budget in BUDGETS:
                budgets[budget].append(_budget_recall(deep, tokens, q, budget))
        b = bm25.rank(q.text, CANDIDATES)
        d = dense.rank(embed_normalised(memory.embedder, [q.text], query=True)[0], CANDIDATES)
        ranked["bm25"] = [dia_ids[i] for i in b[:DEPTH]]
        ranked["dense"] = [dia_ids[i] for i in d[:DEPTH]]
        ranked["rrf"] = [dia_ids[i] for i in rrf_baseline(b, d, DEPTH)]
        if full_text is not None:
            for function in PostgresFullText.FUNCTIONS:
                ids = full_text.rank(q.text, DEPTH, function)
                ranked[f"postgres {function}"] = [i.split(":", 1)[1] for i in ids]
        for system in rows:
            if system in ranked:
                _add(
                    rows,
                    system,
                    q.category,
                    question_metrics(ranked[system], set(q.evidence), session_of),
                )


def turn_messages(conv: Conversation) -> list[dict[str, Any]]:
    """One message per turn: the session's date, the session, the dia_id in metadata."""
    return [
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


def _add(rows: Rows, system: str, category: int, row: dict[str, float]) -> None:
    for group in _group_names(category):
        rows[system][group].append(row)


def asked_at(conv: Conversation) -> datetime:
    """When LoCoMo's questions are asked: after the last session."""
    return max(t.occurred_at for t in conv.turns)


def estimate_tokens(text: str) -> int:
    return max(1, len(text) // 4)


def _budget_recall(ranked: list[str], tokens: dict[str, int], q: Question, budget: int) -> float:
    """Evidence recall of the best turns that fit in ``budget`` tokens."""
    used, kept = 0, set()
    for dia_id in ranked:
        used += tokens[dia_id]
        if used > budget:
            break
        kept.add(dia_id)
    return len(kept & q.evidence) / len(q.evidence)


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


def _ingest(
    conversations: Sequence[Conversation],
    seconds: float,
    stages: dict[str, float],
    structure: Sequence[NamespaceStats],
) -> dict[str, Any]:
    """What ingest took and made: turns, time by stage, entities, facts, notes."""
    return {
        "turns": sum(len(c.turns) for c in conversations),
        "seconds": seconds,
        "stage_seconds": stages,
        "entities": sum(n.entities for n in structure),
        "facts": sum(n.facts for n in structure),
        "notes": sum(n.notes for n in structure),
    }


def run_locomo(
    data: Path,
    out_dir: Path,
    limit: int | None,
    console: Console,
    save_model: Path | None = None,
    ablations: bool = True,
    backend: str = "sqlite",
) -> dict[str, Any]:
    conversations = load_locomo(data)[:limit]
    systems = SYSTEMS + (PG_SYSTEMS if backend == "postgres" else ())
    rows: Rows = {s: defaultdict(list) for s in systems}
    latencies: dict[str, list[float]] = defaultdict(list)
    budgets: dict[int, list[float]] = defaultdict(list)
    collected: list[QuestionRows] = []
    sessions: dict[int, dict[str, str]] = {}
    with (
        tempfile.TemporaryDirectory() as tmp,
        location(Path(tmp), backend, "locomo.db") as where,
        Memory(where) as memory,
    ):
        for number, conv in enumerate(conversations):
            console.print(
                f"{conv.sample_id}: {len(conv.turns)} turns, {len(conv.questions)} questions"
            )
            _score_conversation(memory, conv, rows, latencies, budgets)
            asked = [(q.text, q.category, q.evidence) for q in conv.questions]
            collected += collect(memory, conv.sample_id, number, asked, asked_at(conv))
            sessions[number] = {t.dia_id: f"session_{t.session}" for t in conv.turns}
        embedder = memory.embedder.name
        stages = memory.timings.seconds()
        structure = [memory.stats(c.sample_id).namespaces[0] for c in conversations]
    held = cross_validate(collected)
    for i, q in enumerate(collected):
        metrics = question_metrics(held[i], set(q.evidence), sessions[q.conversation])
        _add(rows, "memstrata held-out", q.category, metrics)
    ingest = _ingest(conversations, sum(latencies.pop("ingest_seconds")), stages, structure)
    summary = _summary(rows)
    timing = {name: _percentiles(v) for name, v in latencies.items()}
    budget_recall = {str(b): 100 * sum(v) / len(v) for b, v in sorted(budgets.items())}
    ablation = run_ablations(collected) if ablations else {}
    result = {
        "data": str(data),
        "conversations": len(conversations),
        "embedder": embedder,
        "backend": backend,
        "summary": summary,
        "latency": timing,
        "ingest": ingest,
        "budget_recall": budget_recall,
        "ablations": ablation,
    }
    if save_model is not None:
        fit_rows([q for q in collected if q.category != 5]).save(save_model)
        console.print(f"ranker fitted on all {len(conversations)} conversations: {save_model}")
    console.print(_report(out_dir, result))
    return result


def _percentiles(values: list[float]) -> dict[str, float]:
    return {f"p{p}_ms": percentile(values, p) for p in (50, 95, 99)}


def _report(out_dir: Path, result: dict[str, Any]) -> str:
    """Write the results (JSON, markdown, the plot by category); the markdown."""
    summary = result["summary"]
    markdown = "\n\n".join(
        [
            render_markdown(summary, result["latency"]),
            render_budgets(result["budget_recall"]),
            render_ablations(result["ablations"]),
            render_ingest(result["ingest"]),
        ]
    )
    write_results(out_dir, "locomo", result, markdown)
    groups = [g for g in summary["memstrata"] if g != "5 adversarial"]
    bar_plot(
        out_dir / "locomo.png",
        "LoCoMo evidence recall@10 by category",
        groups,
        {s: [summary[s][g]["R@10"] for g in groups] for s in summary},
        "R@10 (%)",
    )
    return markdown


def headline(rows: list[QuestionRows], ranked: dict[int, list[str]]) -> dict[str, float]:
    """R@10 and Hit@10 over categories 1-4, and multi-hop R@10."""
    scored = [(q, ranked[i][:10]) for i, q in enumerate(rows) if q.category != 5]
    recall = [len(q.evidence & set(top)) / len(q.evidence) for q, top in scored]
    multi = [r for (q, _), r in zip(scored, recall, strict=True) if q.category == 1]
    return {
        "R@10": 100 * sum(recall) / len(recall),
        "Hit@10": 100 * sum(r > 0 for r in recall) / len(recall),
        "multi-hop R@10": 100 * sum(multi) / max(len(multi), 1),
    }


def run_ablations(collected: list[QuestionRows]) -> dict[str, dict[str, float]]:
    """Held-out figures with each component off, the ranker's linear part refitted
    each time (the trees would take a hundred and fifty fits of their own)."""
    out = {"all on": headline(collected, cross_validate(collected, trees=False))}
    for component in [*COMPONENTS, "time"]:
        off = [without(q, component) for q in collected]
        out[f"- {component}"] = headline(off, cross_validate(off, trees=False))
    out["- learned ranker (RRF of the retrievers)"] = headline(
        collected, cross_validate(collected, learned=False)
    )
    return out


def render_budgets(budget_recall: dict[str, float]) -> str:
    rows = [[f"{b} tokens", f"{v:.1f}"] for b, v in budget_recall.items()]
    return "### evidence recall within a context budget (categories 1-4)\n\n" + markdown_table(
        ["budget", "recall %"], rows
    )


def render_ablations(ablation: dict[str, dict[str, float]]) -> str:
    if not ablation:
        return ""
    base = ablation["all on"]
    rows = [
        [name, *(f"{v[m]:.1f} ({v[m] - base[m]:+.1f})" for m in base)]
        for name, v in ablation.items()
    ]
    return (
        "### ablations (held-out conversations, the ranker's linear part refitted)\n\n"
        + markdown_table(["component", *base], rows)
    )


def render_markdown(
    summary: dict[str, dict[str, dict[str, float]]], timing: dict[str, dict[str, float]]
) -> str:
    parts = []
    for group in summary["memstrata"]:
        n = int(summary["memstrata"][group]["n"])
        rows = [[s, *[summary[s][group][m] for m in METRICS]] for s in summary]
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
