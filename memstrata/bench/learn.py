"""Fitting and judging the recall ranker on LoCoMo, honestly.

For every question the engine's own read path pools candidates and computes
their features (exactly what search() ranks), and each pooled turn is labelled
by whether it is evidence. ``cross_validate`` fits on nine conversations and
ranks the tenth, for each of the ten, so the figures it returns are held out.
An ablation switches one component off: its feature columns are neutralised,
the turns only it found leave the pool, and the ranker is fitted again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np

from memstrata.memory import Memory
from memstrata.retrieve.ranker import Ranker, fit
from memstrata.retrieve.recall import ABSENT_RANK, FEATURES, RETRIEVERS
from memstrata.retrieve.trees import grow

# Components an ablation can switch off, with the feature columns they own.
COMPONENTS: dict[str, tuple[str, ...]] = {
    **{r: (r, f"{r}_rr", f"{r}_lr") for r in RETRIEVERS},
    "neighbours": tuple(
        f"{r}_{n}" for r in ("bm25", "dense") for n in ("prev1", "next1", "prev2", "next2")
    ),
    "sessions": ("bm25_session", "dense_session"),
    "speakers": ("speaker_named",),
    "dates": ("dated", "dated_when"),
    "roles": ("reply", "reply_asked"),
    "openers": ("opens",),
}
# Negatives kept for fitting (every positive is kept): enough, and ten times faster.
NEGATIVE_SHARE = 0.25
# The trees' share of a fitted ranker's score: half, chosen, not fitted. Trees
# alone carried over from one benchmark to the other worse than the linear part;
# the even mix kept the linear part's transfer and the trees' order at the top.
TREE_SHARE = 0.5


@dataclass(frozen=True, slots=True)
class QuestionRows:
    conversation: int
    category: int
    evidence: frozenset[str]
    ids: tuple[str, ...]  # dia id of each pooled turn
    features: np.ndarray
    found_by: np.ndarray  # bit i set: RETRIEVERS[i] found the turn
    adjust: np.ndarray  # the time adjustments search() adds to the ranker's score
    stages_ms: dict[str, float]

    @property
    def labels(self) -> np.ndarray:
        return np.array([i in self.evidence for i in self.ids], dtype=np.float64)


def collect(
    memory: Memory,
    namespace: str,
    conversation: int,
    questions: Iterable[tuple[str, int, frozenset[str]]],
    now: datetime,
    key: str = "dia_id",
    speaker: str | None = None,
) -> list[QuestionRows]:
    """Pooled turns and features of each question (of ``speaker``'s turns only,
    if given); a turn is named by the ``key`` field of its metadata."""
    if memory.index(namespace) is None:
        return []
    name_of = {
        e.id: str(e.metadata.get(key)) for e in memory.store.episodes.iterate(namespace, True)
    }
    out = []
    for text, category, evidence in questions:
        pool = memory.candidates(text, namespace=namespace, now=now, speaker=speaker)
        found_by = np.zeros(len(pool.episode_ids), dtype=np.int64)
        for bit, name in enumerate(RETRIEVERS):
            ranks = pool.ranks.get(name, {})
            found_by |= np.array([i in ranks for i in pool.episode_ids], dtype=np.int64) << bit
        out.append(
            QuestionRows(
                conversation,
                category,
                evidence,
                tuple(name_of[i] for i in pool.episode_ids),
                pool.features,
                found_by,
                pool.adjustments,
                pool.stages_ms,
            )
        )
    return out


def without(rows: QuestionRows, component: str) -> QuestionRows:
    """The question as if ``component`` were switched off."""
    features = rows.features.copy()
    keep = np.ones(len(rows.ids), dtype=np.bool_)
    for name in COMPONENTS.get(component, ()):
        column = FEATURES.index(name)
        neutral = {"_rr": 1.0 / (5.0 + ABSENT_RANK), "_lr": float(np.log1p(ABSENT_RANK))}
        features[:, column] = next(
            (v for suffix, v in neutral.items() if name.endswith(suffix)), 0.0
        )
    if component in RETRIEVERS:
        bit = 1 << RETRIEVERS.index(component)
        keep = rows.found_by != bit  # turns only this retriever found leave the pool
    adjust = np.zeros(len(rows.ids)) if component == "time" else rows.adjust
    return replace(
        rows,
        ids=tuple(i for i, k in zip(rows.ids, keep.tolist(), strict=True) if k),
        features=features[keep],
        found_by=rows.found_by[keep],
        adjust=adjust[keep],
    )


def fit_rows(rows: Sequence[QuestionRows], seed: int = 0, trees: bool = True) -> Ranker:
    """The ranker fitted on ``rows``: its linear part, blended with trees unless
    ``trees`` is false."""
    rng = np.random.default_rng(seed)
    matrices, labels = [], []
    for q in rows:
        y = q.labels
        keep = (y > 0) | (rng.random(len(y)) < NEGATIVE_SHARE)
        matrices.append(q.features[keep])
        labels.append(y[keep])
    matrix, label = np.vstack(matrices), np.concatenate(labels)
    linear = fit(matrix, label, FEATURES)
    return linear.with_trees(grow(matrix, label), TREE_SHARE) if trees else linear


def rank(rows: QuestionRows, ranker: Ranker | None) -> list[str]:
    """The question's pooled turns, best first (``None``: reciprocal-rank fusion
    of the retrievers, the unlearned fallback)."""
    if ranker is None:
        rr = [FEATURES.index(f"{r}_rr") for r in RETRIEVERS]
        scores = rows.features[:, rr].sum(axis=1) + rows.adjust
    else:
        scores = ranker.score(rows.features, FEATURES) + rows.adjust
    order = np.argsort(-scores, kind="stable")
    return [rows.ids[i] for i in order]


def fold_rankers(rows: Sequence[QuestionRows], trees: bool = True) -> dict[int, Ranker | None]:
    """For each conversation (fold), the ranker fitted on the others' answerable
    questions (its linear part alone if ``trees`` is false); None where the
    others have none."""
    out: dict[int, Ranker | None] = {}
    for held in sorted({q.conversation for q in rows}):
        train = [q for q in rows if q.conversation != held and q.category != 5]
        out[held] = fit_rows(train, trees=trees) if train else None
    return out


def cross_validate(
    rows: Sequence[QuestionRows], learned: bool = True, trees: bool = True
) -> dict[int, list[str]]:
    """Held-out rankings: each conversation ranked by a ranker fitted on the others
    (its linear part alone if ``trees`` is false; reciprocal-rank fusion if not
    ``learned``). Keys are positions in ``rows``."""
    folds = {q.conversation for q in rows}
    rankers = fold_rankers(rows, trees) if learned else dict.fromkeys(folds)
    return {i: rank(q, rankers[q.conversation]) for i, q in enumerate(rows)}
