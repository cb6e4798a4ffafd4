"""`memstrata bench longmemeval`: evidence retrieval on LongMemEval (real
user–assistant chat with long markdown replies), beside baselines.

Each question's history goes into a namespace of its own: its haystack's
sessions in order, every turn dated with its session's date and named
``<session>:<n>`` in its metadata, loaded with ``Memory.bulk()`` in the default
configuration. Abstention questions (no evidence) are skipped. Each question
is asked with its question date as ``now``, of memstrata's search and of three
baselines built over the same haystack in the same process (bm25s BM25, exact
dense search with the same embedder, their RRF), in two modes:

- ``all roles``: every turn is a candidate;
- ``user turns``: only user turns are (memstrata: the speaker filter; the
  baselines are built on the user turns alone).

Evidence turns are the ``has_answer`` turns of the question's answer sessions.
Turn metrics: R@k, NDCG@10 and MRR over the top 50. Session metrics, from the
turns: sessions ranked by their best turn, recall_any@k (one evidence session
in the top k) and recall_all@k (every one). ``memstrata held-out`` ranks with a
ranker fitted on the other folds of questions (5 folds), as a shipped model
never sees the questions it is judged on. Session ids are opaque and only
group turns; nothing reads them.
"""

from __future__ import annotations

import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from rich.console import Console

from memstrata.bench.baselines import Bm25sBaseline, DenseBaseline, rrf_baseline
from memstrata.bench.learn import QuestionRows, collect, fold_rankers, rank
from memstrata.bench.longmemeval_data import Question, Turn, load_questions, load_sessions
from memstrata.bench.metrics import ndcg_at, percentiles, recall_at
from memstrata.bench.report import markdown_table, write_results
from memstrata.config import Settings
from memstrata.memory import Memory
from memstrata.messages import index_text
from memstrata.providers.embed.base import embed_normalised
from memstrata.retrieve.ranker import Ranker
from memstrata.validate import visible

T = TypeVar("T")
MODES = ("all roles", "user turns")
SYSTEMS = ("memstrata", "memstrata held-out", "bm25", "dense", "rrf")
TURN_KS = (1, 3, 5, 10)
SESSION_KS = (1, 3, 5, 10)
DEPTH = 50  # turns ranked per question (sessions are ranked from them)
FOLDS = 5
KEY = "turn"  # the metadata field naming a turn
BUDGETS = (500, 1000, 2000)  # context() token budgets whose evidence recall is measured


@dataclass(frozen=True, slots=True)
class Haystack:
    """One question's history as stored: its namespace, turn keys and texts."""

    namespace: str
    question: Question
    keys: list[str]
    roles: list[str]
    texts: list[str]
    evidence: frozenset[str]
    evidence_sessions: frozenset[str]

    def session_of(self, key: str) -> str:
        return key.rsplit(":", 1)[0]


def deal(items: Sequence[T], kind: Callable[[T], str], count: int | None) -> list[T]:
    """``count`` of ``items`` dealt round-robin by kind (each kind in its order),
    or all of them."""
    if count is None or count >= len(items):
        return list(items)
    by_kind: dict[str, list[T]] = defaultdict(list)
    for item in items:
        by_kind[kind(item)].append(item)
    queues = [by_kind[k][::-1] for k in sorted(by_kind)]
    chosen: list[T] = []
    while len(chosen) < count:
        for queue in queues:
            if queue and len(chosen) < count:
                chosen.append(queue.pop())
    return chosen


def stratified(questions: Sequence[Question], count: int | None) -> list[Question]:
    """The usable questions, or ``count`` of them dealt round-robin by type."""
    usable = [q for q in questions if not q.is_abstention]
    return deal(usable, lambda q: q.question_type, count)


def kept_turns(session_id: str, turns: list[Turn]) -> list[tuple[str, Turn]]:
    """A session's turns that add() takes (a turn with nothing visible is left out),
    each with its key: the session id and the turn's place in the data."""
    return [(f"{session_id}:{n}", t) for n, t in enumerate(turns) if visible(t.content)]


def haystack(number: int, q: Question, sessions: dict[str, list[Turn]]) -> Haystack:
    keys, roles, texts, evidence = [], [], [], set()
    for session_id, _ in q.haystack:
        for key, turn in kept_turns(session_id, sessions[session_id]):
            keys.append(key)
            roles.append(turn.role)
            texts.append(turn.content)
            if turn.has_answer and session_id in q.answer_session_ids:
                evidence.add(key)
    return Haystack(
        f"q{number}", q, keys, roles, texts, frozenset(evidence), frozenset(q.answer_session_ids)
    )


def session_messages(h: Haystack, sessions: dict[str, list[Turn]]) -> list[list[dict[str, Any]]]:
    """One add() per session: its turns, dated, each named by its key."""
    out = []
    for session_id, when in h.question.haystack:
        out.append(
            [
                {
                    "id": key,
                    "content": t.content,
                    "role": t.role,
                    "speaker": t.role,
                    "occurred_at": when,
                    "session_id": session_id,
                    "metadata": {KEY: key},
                }
                for key, t in kept_turns(session_id, sessions[session_id])
            ]
        )
    return out


def question_metrics(ranked: Sequence[str], h: Haystack) -> dict[str, float]:
    """Turn and session metrics of one ranking (turn metrics only when the
    question marks evidence turns)."""
    row: dict[str, float] = {}
    if h.evidence:
        for k in TURN_KS:
            row[f"R@{k}"] = recall_at(ranked, set(h.evidence), k)
        row["NDCG@10"] = ndcg_at(ranked, set(h.evidence), 10)
        first = next((i for i, key in enumerate(ranked) if key in h.evidence), None)
        row["MRR"] = 0.0 if first is None else 1.0 / (first + 1)
    order = list(dict.fromkeys(h.session_of(key) for key in ranked))
    for k in SESSION_KS:
        found = set(order[:k]) & h.evidence_sessions
        row[f"any@{k}"] = float(bool(found))
        row[f"all@{k}"] = float(found == h.evidence_sessions)
    return row


def _memstrata(memory: Memory, h: Haystack, user_only: bool) -> tuple[list[str], float]:
    start = time.perf_counter()
    hits = memory.search(
        h.question.question,
        namespace=h.namespace,
        limit=DEPTH,
        now=h.question.asked_at,
        speaker="user" if user_only else None,
        reinforce=False,
    )
    ms = (time.perf_counter() - start) * 1000
    return [str(hit.metadata[KEY]) for hit in hits], ms


def budget_recall(memory: Memory, h: Haystack) -> dict[str, float]:
    """Share of the evidence turns that context() puts in its block, per budget
    (a turn counts when its line, whole or cut to what matches, is there)."""
    out = {}
    for budget in BUDGETS:
        block = memory.context(
            h.question.question, namespace=h.namespace, token_budget=budget, now=h.question.asked_at
        )
        shown = set(h.evidence) & set(block.ids())
        out[str(budget)] = len(shown) / len(h.evidence)
    return out


def _baselines(memory: Memory, h: Haystack, user_only: bool) -> dict[str, list[str]]:
    kept = [i for i, role in enumerate(h.roles) if role == "user" or not user_only]
    keys = [h.keys[i] for i in kept]
    texts = [index_text(h.roles[i], h.texts[i]) for i in kept]
    bm25 = Bm25sBaseline(texts).rank(h.question.question, 100)
    query = embed_normalised(memory.embedder, [h.question.question], query=True)[0]
    dense = DenseBaseline(embed_normalised(memory.embedder, texts)).rank(query, 100)
    return {
        "bm25": [keys[i] for i in bm25[:DEPTH]],
        "dense": [keys[i] for i in dense[:DEPTH]],
        "rrf": [keys[i] for i in rrf_baseline(bm25, dense, DEPTH)],
    }


Rows = dict[str, dict[str, dict[str, list[dict[str, float]]]]]  # mode -> system -> type -> rows


def _add(rows: Rows, mode: str, system: str, h: Haystack, ranked: Sequence[str]) -> None:
    metrics = question_metrics(ranked, h)
    for group in (h.question.question_type, "all"):
        rows[mode][system][group].append(metrics)


def _collect(
    memory: Memory, stacks: Sequence[Haystack], user_only: bool
) -> tuple[list[QuestionRows], list[str]]:
    """Every question's pooled turns and features, question ``i`` in fold
    ``i % FOLDS``, and the namespace each row belongs to."""
    collected: list[QuestionRows] = []
    owners: list[str] = []
    for i, h in enumerate(stacks):
        # a question without evidence turns is ranked, never trained on (category 5,
        # as LoCoMo's unanswerable ones)
        asked = [(h.question.question, 1 if h.evidence else 5, h.evidence)]
        speaker = "user" if user_only else None
        found = collect(
            memory, h.namespace, i % FOLDS, asked, h.question.asked_at, key=KEY, speaker=speaker
        )
        collected += found
        owners += [h.namespace] * len(found)
    return collected, owners


def _add_held_out(
    memory: Memory, stacks: Sequence[Haystack], rows: Rows
) -> tuple[list[QuestionRows], dict[int, Ranker | None]]:
    """Each mode's held-out rankings, added to ``rows``; returns the rows
    collected with every role a candidate, and the fold rankers that ranked them."""
    every_role: tuple[list[QuestionRows], dict[int, Ranker | None]] = ([], {})
    by_namespace = {h.namespace: h for h in stacks}
    for mode in MODES:
        collected, owners = _collect(memory, stacks, mode == "user turns")
        rankers = fold_rankers(collected)
        for q, owner in zip(collected, owners, strict=True):
            ranked = rank(q, rankers[q.conversation])
            _add(rows, mode, "memstrata held-out", by_namespace[owner], ranked)
        if mode != "user turns":
            every_role = (collected, rankers)
    return every_role


def held_out_budgets(
    path: Path, settings: Settings, stacks: Sequence[Haystack], rankers: dict[int, Ranker | None]
) -> dict[str, float]:
    """Evidence recall of context() when each question's block is built with the
    ranker of its fold (fitted on the other folds' questions): what a question
    the shipped ranker never saw gets. Opens the store once per fold."""
    shares: dict[str, list[float]] = defaultdict(list)
    for fold, ranker in rankers.items():
        if ranker is None:
            continue
        model = path.with_name(f"ranker-fold-{fold}.json")
        ranker.save(model)
        with Memory(path, settings=settings.model_copy(update={"ranker": model})) as memory:
            for i, h in enumerate(stacks):
                if i % FOLDS == fold and h.evidence:
                    for budget, share in budget_recall(memory, h).items():
                        shares[budget].append(share)
    return {b: 100 * _mean(v) for b, v in shares.items()}


def _summary(rows: Rows) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for mode, systems in rows.items():
        out[mode] = {}
        for system, groups in systems.items():
            out[mode][system] = {}
            for group, items in sorted(groups.items(), key=lambda g: (g[0] != "all", g[0])):
                names = sorted({m for r in items for m in r})
                out[mode][system][group] = {
                    "n": float(len(items)),
                    **{m: 100 * _mean([r[m] for r in items if m in r]) for m in names},
                }
    return out


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def _ask(
    memory: Memory,
    h: Haystack,
    rows: Rows,
    latency: tuple[list[float], list[float]],
    budgets: dict[str, list[float]],
) -> None:
    """One question asked of the shipped ranker and the baselines, in each mode:
    rankings into ``rows``, search times into (cold, warm), and the evidence
    recall of its context() blocks into ``budgets``."""
    cold, warm = latency
    for mode in MODES:
        user_only = mode == "user turns"
        ranked, ms = _memstrata(memory, h, user_only)
        (warm if user_only else cold).append(ms)
        if not user_only:
            warm.append(_memstrata(memory, h, user_only)[1])
            if h.evidence:
                for budget, share in budget_recall(memory, h).items():
                    budgets[budget].append(share)
        _add(rows, mode, "memstrata", h, ranked)
        for system, baseline in _baselines(memory, h, user_only).items():
            _add(rows, mode, system, h, baseline)


def run_longmemeval(
    data: Path, out_dir: Path, count: int | None, console: Console
) -> dict[str, Any]:
    questions = stratified(load_questions(data), count)
    sessions = load_sessions(data, {s for q in questions for s, _ in q.haystack})
    stacks = [haystack(i, q, sessions) for i, q in enumerate(questions)]
    console.print(
        f"{len(stacks)} questions, {sum(len(h.keys) for h in stacks):,} turns "
        f"({sum(1 for h in stacks if h.evidence)} with evidence turns)"
    )
    rows: Rows = {m: {s: defaultdict(list) for s in SYSTEMS} for m in MODES}
    cold: list[float] = []
    warm: list[float] = []
    budgets: dict[str, list[float]] = defaultdict(list)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "longmemeval.db"
        with Memory(path) as memory:
            start = time.perf_counter()
            with memory.bulk():
                for h in stacks:
                    for batch in session_messages(h, sessions):
                        memory.add(batch, namespace=h.namespace)
            ingest_s = time.perf_counter() - start
            console.print(f"ingest: {ingest_s:.0f} s")
            for h in stacks:
                _ask(memory, h, rows, (cold, warm), budgets)
            every_role, rankers = _add_held_out(memory, stacks, rows)
            embedder, settings = memory.embedder.name, memory.settings
        budgets_held = {
            "held-out": held_out_budgets(path, settings, stacks, rankers),
            "held-out, linear part alone": held_out_budgets(
                path, settings, stacks, fold_rankers(every_role, trees=False)
            ),
        }
    summary = _summary(rows)
    turns = sum(len(h.keys) for h in stacks)
    result = {
        "data": str(data),
        "questions": len(stacks),
        "embedder": embedder,
        "summary": summary,
        "ingest": {"turns": turns, "seconds": ingest_s, "turns_per_s": turns / ingest_s},
        "latency_ms": {"cold": percentiles(cold), "warm": percentiles(warm)},
        "budget_recall": {b: 100 * _mean(v) for b, v in budgets.items()},
        "budget_recall_held_out": budgets_held,
    }
    markdown = render(result)
    write_results(out_dir, "longmemeval", result, markdown)
    console.print(markdown)
    return result


def render(result: dict[str, Any]) -> str:
    summary = result["summary"]
    turn = [f"R@{k}" for k in TURN_KS] + ["NDCG@10", "MRR"]
    session = [f"{w}@{k}" for k in SESSION_KS for w in ("any", "all")]
    parts = [
        "# LongMemEval-dev: evidence retrieval",
        "",
        f"{result['questions']} questions (abstention ones skipped), embedder "
        f"{result['embedder']}; ingest of {result['ingest']['turns']:,} turns "
        f"{result['ingest']['seconds']:.0f} s ({result['ingest']['turns_per_s']:,.0f} turns/s, "
        "`Memory.bulk()`); search p50/p95/p99 ms, a namespace's first search "
        + "/".join(f"{v:.1f}" for v in result["latency_ms"]["cold"].values())
        + ", warm "
        + "/".join(f"{v:.1f}" for v in result["latency_ms"]["warm"].values())
        + ".",
        "",
        "Evidence turns in the context() block (all roles): "
        + ", ".join(f"{v:.1f} % at {b} tokens" for b, v in result["budget_recall"].items())
        + " with the shipped ranker (fitted on these questions too); built with a ranker "
        "fitted on the other folds: "
        + "; ".join(
            f"{form} " + ", ".join(f"{v:.1f} %" for v in shares.values())
            for form, shares in result.get("budget_recall_held_out", {}).items()
        )
        + ".",
    ]
    for mode, systems in summary.items():
        groups = list(systems["memstrata"])
        for group in groups:
            n = int(systems["memstrata"][group]["n"])
            table = [
                [s, *(systems[s][group].get(m, float("nan")) for m in turn + session)]
                for s in systems
                if group in systems[s]
            ]
            parts += [
                "",
                f"## {mode}: {group} (n={n})",
                "",
                markdown_table(["system", *turn, *session], table),
            ]
    return "\n".join(parts)
