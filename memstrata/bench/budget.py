"""`memstrata bench context`: what a token budget buys, counted as a reader counts.

LoCoMo (categories 1-4) and LongMemEval-dev (abstention questions left out) go
into one store, one namespace per conversation and per question, in the
default configuration. For each question with evidence and each budget,
``context()`` builds its block; the figures are the share of evidence turns
the block shows (a turn counts when its line is there, whole or cut to what
matches) and the block's size in the reader's tokens (the whole block:
frame, question, facts, heads and lines). Beside it, in the same run, BM25's
and RRF's top turns (bm25s and the dense index of the same embedder) laid out
one a line as ``[n] speaker: text``, whole, best first while they fit in the
same budget by the same tokenizer.
"""

from __future__ import annotations

import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from memstrata.bench.baselines import Bm25sBaseline, DenseBaseline, rrf_baseline
from memstrata.bench.locomo import asked_at, turn_messages
from memstrata.bench.locomo_data import load_locomo
from memstrata.bench.longmemeval import haystack, session_messages, stratified
from memstrata.bench.longmemeval_data import load_questions, load_sessions
from memstrata.bench.metrics import percentile
from memstrata.bench.report import markdown_table, write_results
from memstrata.config import Settings
from memstrata.memory import Memory
from memstrata.messages import index_text
from memstrata.providers.embed.base import embed_normalised
from memstrata.retrieve.tokens import TokenCounter, counter

BUDGETS = (500, 1000, 2000)
DEPTH = 100  # baseline turns ranked per question
SYSTEMS = ("memstrata context()", "bm25 top turns", "rrf top turns")


@dataclass(frozen=True)
class Case:
    """One question asked of one namespace, with its evidence turns."""

    benchmark: str
    namespace: str
    question: str
    now: datetime
    evidence: frozenset[str]  # episode ids
    ids: list[str]  # the namespace's turns: episode ids, speakers and texts
    speakers: list[str]
    texts: list[str]


def _locomo(memory: Memory, path: Path) -> Iterator[Case]:
    for conv in load_locomo(path):
        messages = turn_messages(conv)
        memory.add(messages, namespace=conv.sample_id)
        ids = [str(m["id"]) for m in messages]
        speakers = [t.speaker for t in conv.turns]
        texts = [t.text for t in conv.turns]
        for q in conv.questions:
            if q.category != 5 and q.evidence:
                evidence = frozenset(f"{conv.sample_id}:{d}" for d in q.evidence)
                now = asked_at(conv)
                yield Case("LoCoMo", conv.sample_id, q.text, now, evidence, ids, speakers, texts)


def _longmemeval(memory: Memory, folder: Path, count: int | None) -> Iterator[Case]:
    questions = stratified(load_questions(folder), count)
    sessions = load_sessions(folder, {s for q in questions for s, _ in q.haystack})
    stacks = [haystack(i, q, sessions) for i, q in enumerate(questions)]
    with memory.bulk():
        for h in stacks:
            for batch in session_messages(h, sessions):
                memory.add(batch, namespace=h.namespace)
    for h in stacks:
        if h.evidence:
            q = h.question
            yield Case(
                "LongMemEval-dev", h.namespace, q.question, q.asked_at, h.evidence,
                h.keys, h.roles, h.texts,
            )  # fmt: skip


def top_turns(ranked: Sequence[int], case: Case, budget: int, tokens: TokenCounter) -> set[str]:
    """The ranked turns, one a line, whole, best first while the lines fit."""
    spent, kept = 0, set()
    for n, i in enumerate(ranked, 1):
        spent += tokens.count(f"[{n}] {case.speakers[i]}: {case.texts[i]}") + 1
        if spent > budget:
            break
        kept.add(case.ids[i])
    return kept


def measure(memory: Memory, case: Case, tokens: TokenCounter) -> dict[str, dict[int, Any]]:
    """Per system and budget: (share of evidence shown, tokens sent)."""
    texts = [index_text(s, t) for s, t in zip(case.speakers, case.texts, strict=True)]
    bm25 = Bm25sBaseline(texts).rank(case.question, DEPTH)
    query = embed_normalised(memory.embedder, [case.question], query=True)[0]
    dense = DenseBaseline(embed_normalised(memory.embedder, texts)).rank(query, DEPTH)
    baselines = {"bm25 top turns": bm25, "rrf top turns": rrf_baseline(bm25, dense, DEPTH)}
    out: dict[str, dict[int, Any]] = defaultdict(dict)
    for budget in BUDGETS:
        block = memory.context(
            case.question, namespace=case.namespace, token_budget=budget, now=case.now
        )
        out[SYSTEMS[0]][budget] = (_share(set(block.ids()), case), block.tokens)
        for name, ranked in baselines.items():
            kept = top_turns(ranked, case, budget, tokens)
            out[name][budget] = (_share(kept, case), None)
    return out


def _share(shown: set[str], case: Case) -> float:
    return len(shown & case.evidence) / len(case.evidence)


def run_budget(
    locomo: Path,
    longmemeval: Path,
    out_dir: Path,
    questions: int | None,
    tokenizer: str | None,
    console: Console,
) -> dict[str, Any]:
    tokens = counter(tokenizer)
    rows: dict[str, dict[str, dict[int, list[Any]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(list))
    )
    seconds: dict[str, float] = {}
    settings = Settings.load(tokenizer=tokenizer)
    with tempfile.TemporaryDirectory() as tmp, Memory(Path(tmp) / "b.db", settings=settings) as m:
        sources: dict[str, Callable[[], Iterator[Case]]] = {
            "LoCoMo": lambda: _locomo(m, locomo),
            "LongMemEval-dev": lambda: _longmemeval(m, longmemeval, questions),
        }
        for name, cases in sources.items():
            start = time.perf_counter()
            for case in cases():
                for system, per in measure(m, case, tokens).items():
                    for budget, value in per.items():
                        rows[name][system][budget].append(value)
            seconds[name] = time.perf_counter() - start
            console.print(f"{name}: {seconds[name]:.0f} s")
        embedder = m.embedder.name
    result = {
        "tokenizer": tokens.name,
        "embedder": embedder,
        "seconds": seconds,
        "summary": {name: _summary(per) for name, per in rows.items()},
    }
    markdown = render(result)
    write_results(out_dir, "context-budget", result, markdown)
    console.print(markdown)
    return result


def _summary(per: dict[str, dict[int, list[Any]]]) -> dict[str, dict[str, dict[str, float]]]:
    out: dict[str, dict[str, dict[str, float]]] = {}
    for system, budgets in per.items():
        out[system] = {}
        for budget, values in budgets.items():
            shares = [s for s, _ in values]
            row = {"questions": float(len(values)), "recall": 100 * sum(shares) / len(shares)}
            sizes = [float(t) for _, t in values if t is not None]
            if sizes:
                row |= {
                    "tokens_mean": sum(sizes) / len(sizes),
                    "tokens_p5": percentile(sizes, 5),
                    "tokens_max": max(sizes),
                    "within_5pct": 100
                    * sum(0.95 * budget <= t <= budget for t in sizes)
                    / len(sizes),
                    "over": float(sum(t > budget for t in sizes)),
                }
            out[system][str(budget)] = row
    return out


def render(result: dict[str, Any]) -> str:
    parts = [
        f"### evidence within a token budget ({result['tokenizer']} tokens, {result['embedder']})\n"
    ]
    for name, systems in result["summary"].items():
        table = []
        for system, budgets in systems.items():
            for budget, row in budgets.items():
                size = (
                    f"{row['tokens_mean']:.0f} / {row['tokens_p5']:.0f} / {row['tokens_max']:.0f}"
                    if "tokens_mean" in row
                    else "≤ budget"
                )
                within = f"{row['within_5pct']:.1f}" if "within_5pct" in row else ""
                table.append([system, budget, row["recall"], size, within])
        n = int(next(iter(next(iter(systems.values())).values()))["questions"])
        parts.append(f"{name}, {n} questions\n")
        headers = ["system", "budget", "evidence recall", "tokens mean / p5 / max", "% in 95-100 %"]
        parts.append(markdown_table(headers, table) + "\n")
    return "\n".join(parts)
