"""`memstrata bench ranker`: one ranker for LoCoMo and LongMemEval, shown to
carry over from one benchmark to the other.

Both benchmarks are ingested in the default configuration and every question's
pooled candidates and features are collected, exactly as search() ranks them.
Rankers are then fitted and judged on questions they never saw:

- ``shipped``: the ranker memstrata ships (no refit);
- ``LoCoMo -> LongMemEval``: fitted on every LoCoMo question, judged on
  LongMemEval, and the reverse;
- ``within``: each benchmark alone, folds of its own (LoCoMo by conversation,
  LongMemEval by question);
- ``joint``: both together, each fold (a LoCoMo conversation, a fifth of the
  LongMemEval questions) ranked by a ranker fitted on every other fold.

``--save-model`` writes the ranker fitted on every question of both.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console

from memstrata.bench import longmemeval as lme
from memstrata.bench.learn import QuestionRows, collect, cross_validate, fit_rows, rank
from memstrata.bench.locomo import asked_at, headline, turn_messages
from memstrata.bench.locomo_data import load_locomo
from memstrata.bench.longmemeval_data import load_questions, load_sessions
from memstrata.bench.report import markdown_table, write_results
from memstrata.memory import Memory
from memstrata.retrieve.ranker import Ranker, shipped_model

LOCOMO_FOLD_BASE = 0  # LoCoMo folds are its conversations: 0..9
LME_FOLD_BASE = 100  # LongMemEval folds: 100..104


def _locomo_rows(memory: Memory, data: Path, console: Console) -> list[QuestionRows]:
    rows: list[QuestionRows] = []
    for number, conv in enumerate(load_locomo(data)):
        memory.add(turn_messages(conv), namespace=conv.sample_id)
        asked = [(q.text, q.category, q.evidence) for q in conv.questions]
        rows += collect(memory, conv.sample_id, LOCOMO_FOLD_BASE + number, asked, asked_at(conv))
    console.print(f"LoCoMo: {len(rows)} questions collected")
    return rows


def _lme_rows(
    memory: Memory, data: Path, count: int | None, console: Console
) -> tuple[list[QuestionRows], list[lme.Haystack]]:
    questions = lme.stratified(load_questions(data), count)
    sessions = load_sessions(data, {s for q in questions for s, _ in q.haystack})
    stacks = [lme.haystack(i, q, sessions) for i, q in enumerate(questions)]
    with memory.bulk():
        for h in stacks:
            for batch in lme.session_messages(h, sessions):
                memory.add(batch, namespace=h.namespace)
    rows: list[QuestionRows] = []
    owners: list[lme.Haystack] = []
    for i, h in enumerate(stacks):
        category = 1 if h.evidence else 5  # no evidence turns: ranked, never trained on
        asked = [(h.question.question, category, h.evidence)]
        found = collect(
            memory, h.namespace, LME_FOLD_BASE + i % lme.FOLDS, asked, h.question.asked_at, lme.KEY
        )
        rows += found
        owners += [h] * len(found)
    console.print(f"LongMemEval: {len(rows)} questions collected")
    return rows, owners


def _locomo_scores(rows: Sequence[QuestionRows], ranked: Sequence[list[str]]) -> dict[str, float]:
    return headline(list(rows), dict(enumerate(ranked)))


def _lme_scores(stacks: Sequence[lme.Haystack], ranked: Sequence[list[str]]) -> dict[str, float]:
    metrics = [lme.question_metrics(r, h) for h, r in zip(stacks, ranked, strict=True)]

    def mean(name: str) -> float:
        values = [m[name] for m in metrics if name in m]
        return 100 * sum(values) / max(len(values), 1)

    return {name: mean(name) for name in ("R@10", "NDCG@10", "MRR", "any@5", "all@5")}


def in_pool(rows: Sequence[QuestionRows]) -> float:
    """The share (%) of evidence turns that reach the pool a ranker orders: the
    most any ranker could recall. Questions with no evidence are left out."""
    shares = [len(set(q.ids) & q.evidence) / len(q.evidence) for q in rows if q.evidence]
    return 100 * sum(shares) / max(len(shares), 1)


def _fitted(rows: Sequence[QuestionRows], trees: bool = True) -> Ranker:
    return fit_rows([q for q in rows if q.category != 5], trees=trees)


def _held(rows: list[QuestionRows], trees: bool = True) -> list[list[str]]:
    held = cross_validate(rows, trees=trees)
    return [held[i] for i in range(len(rows))]


View = tuple[list[list[str]], list[list[str]]]  # LoCoMo rankings, LongMemEval rankings


def _crossed(lo: list[QuestionRows], me: list[QuestionRows], trees: bool) -> View:
    """Each benchmark ranked by a ranker fitted on the other."""
    to_lme, to_locomo = _fitted(lo, trees), _fitted(me, trees)
    return [rank(q, to_locomo) for q in lo], [rank(q, to_lme) for q in me]


def _joint(lo: list[QuestionRows], me: list[QuestionRows], trees: bool) -> View:
    """Both ranked on folds of both: each fold by a ranker fitted on the others."""
    both = _held([*lo, *me], trees)
    return both[: len(lo)], both[len(lo) :]


def run_joint(
    locomo: Path,
    longmemeval: Path,
    out_dir: Path,
    count: int | None,
    console: Console,
    save_model: Path | None = None,
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp, Memory(Path(tmp) / "joint.db") as memory:
        lo = _locomo_rows(memory, locomo, console)
        me, stacks = _lme_rows(memory, longmemeval, count, console)
        shipped = Ranker.load(shipped_model(memory.embedder.name))
    views: dict[str, View] = {
        "shipped ranker": ([rank(q, shipped) for q in lo], [rank(q, shipped) for q in me]),
        "RRF of the retrievers (no ranker)": (
            [rank(q, None) for q in lo],
            [rank(q, None) for q in me],
        ),
        "fitted on the other benchmark": _crossed(lo, me, trees=True),
        "fitted on the other, the linear part alone": _crossed(lo, me, trees=False),
        "within each benchmark (its own folds)": (_held(lo), _held(me)),
        "joint (folds of both)": _joint(lo, me, trees=True),
        "joint, the linear part alone": _joint(lo, me, trees=False),
    }
    table = {
        name: {
            **{f"LoCoMo {k}": v for k, v in _locomo_scores(lo, a).items()},
            **{f"LongMemEval {k}": v for k, v in _lme_scores(stacks, b).items()},
        }
        for name, (a, b) in views.items()
    }
    result = {
        "locomo_questions": len(lo),
        "longmemeval_questions": len(me),
        "evidence_in_pool": {
            "LoCoMo": in_pool([q for q in lo if q.category != 5]),
            "LongMemEval": in_pool(me),
        },
        "views": table,
    }
    if save_model is not None:
        _fitted([*lo, *me]).save(save_model)
        console.print(f"ranker fitted on every question of both: {save_model}")
    markdown = render(result)
    write_results(out_dir, "ranker-fit", result, markdown)
    console.print(markdown)
    return result


def render(result: dict[str, Any]) -> str:
    views, pooled = result["views"], result["evidence_in_pool"]
    columns = list(next(iter(views.values())))
    rows = [[name, *(f"{v[c]:.1f}" for c in columns)] for name, v in views.items()]
    return (
        "# One ranker for LoCoMo and LongMemEval\n\n"
        f"{result['locomo_questions']} LoCoMo questions, {result['longmemeval_questions']} "
        "LongMemEval questions (all roles). Every fitted figure is held out: ranked by a "
        "ranker that never saw the question. Evidence turns in the pool the ranker "
        f"orders (the most it could recall): LoCoMo {pooled['LoCoMo']:.1f} %, "
        f"LongMemEval {pooled['LongMemEval']:.1f} %.\n\n"
        + markdown_table(["ranker", *columns], rows)
    )
