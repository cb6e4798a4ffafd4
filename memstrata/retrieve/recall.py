"""The read path: candidates from every layer, features, a learned ranker, time.

1. Each retriever ranks episodes of the namespace (under the filters' mask):
   ``bm25`` and ``dense`` over the episodes, ``context`` (BM25 over each turn
   with the one before it), ``keys`` and ``keys_dense`` (notes and facts that
   point back to their episodes), ``graph`` (Personalized PageRank on the
   mention graph, seeded with the entities the question names and its best
   episodes), ``expand`` (BM25 over the words the embedder places near the
   question's words: "instruments" finds the turn about a violin; expand.py).
2. The pool is every episode any retriever found.
3. Each pooled episode gets features (normalised score, reciprocal and log
   rank per retriever; its session neighbours' scores, since an answer sits
   next to the turn that asked; its session's score; whether
   the question names its speaker; whether it mentions a date, and whether the
   question asks "when"; whether it was said in a reply role, whether it
   opens its session (the first turn not said in a reply role, where one says
   what brings them), and whether it is a reply while the question asks what
   was replied: "the recipe you recommended"; and what kind of question it
   is), and the ranker turns them into one score.
4. Time: an episode inside the question's time window gets TIME_BOOST;
   "latest / current" questions favour recent episodes and "first time"
   questions early ones, by up to ORDER_BOOST.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from memstrata.index.namespace_index import NamespaceIndex
from memstrata.index.structure import StructureIndex
from memstrata.retrieve.query import Query
from memstrata.retrieve.ranker import Ranker
from memstrata.timing import StageTimings

RETRIEVERS = ("bm25", "dense", "context", "keys", "keys_dense", "graph", "expand")
ABSENT_RANK = 1000
GRAPH_SEEDS = 5
GRAPH_SEED_WEIGHT = 0.5
TIME_BOOST = 2.0
ORDER_BOOST = 1.0


# What kind of question it is: the same for every candidate of a question, so
# they change no linear order within it (the linear fit gets a base rate per
# kind); the trees use them to weigh the rest differently for a count across
# sessions, a date, the user's own life or a past reply.
QUESTION_FEATURES = (
    "question_how_many",
    "question_when",
    "question_about_user",
    "question_about_replies",
)


def feature_names() -> tuple[str, ...]:
    names: list[str] = []
    for r in RETRIEVERS:
        names += [r, f"{r}_rr", f"{r}_lr"]
    for r in ("bm25", "dense"):
        names += [f"{r}_prev1", f"{r}_next1", f"{r}_prev2", f"{r}_next2", f"{r}_session"]
    names += ["speaker_named", "dated", "dated_when", "reply", "opens", "reply_asked"]
    return tuple(names) + QUESTION_FEATURES


FEATURES = feature_names()


Ranked = tuple[np.ndarray, np.ndarray]  # positions, scores (best first)


def gather(
    index: NamespaceIndex,
    structure: StructureIndex,
    query: Query,
    mask: np.ndarray,
    depth: int,
    retrievers: Sequence[str],
    stages: StageTimings,
) -> dict[str, Ranked]:
    """Each chosen retriever's top ``depth`` episodes."""
    found: dict[str, Ranked] = {}
    if "bm25" in retrievers:
        with stages.stage("bm25"):
            found["bm25"] = index.bm25.search(query.terms, depth, mask)
    if "dense" in retrievers and query.vector is not None and index.has_dense():
        with stages.stage("dense"):
            found["dense"] = index.dense(query.vector, depth, mask)
    if "expand" in retrievers and query.expansions:
        with stages.stage("expand"):
            terms = [term for term, _ in query.expansions]
            boosts = [boost for _, boost in query.expansions]
            found["expand"] = index.bm25.search(terms, depth, mask, boosts)
    if "context" in retrievers:
        with stages.stage("context"):
            found["context"] = index.context.search(query.terms, depth, mask)
    if "keys" in retrievers:
        with stages.stage("keys"):
            found["keys"] = structure.search_keys(query.terms, depth, mask)
    if "keys_dense" in retrievers and query.vector is not None:
        with stages.stage("keys_dense"):
            found["keys_dense"] = structure.dense_keys(query.vector, depth, mask)
    if "graph" in retrievers:
        with stages.stage("graph"):
            seeds: dict[int, float] = {}
            for name in ("dense", "bm25"):
                if name in found and len(found[name][0]):
                    positions, scores = found[name]
                    top = max(float(scores[0]), 1e-9)
                    for p, s in zip(positions[:GRAPH_SEEDS], scores[:GRAPH_SEEDS], strict=False):
                        seeds[int(p)] = GRAPH_SEED_WEIGHT * max(float(s), 0.0) / top
                    break
            live = int(mask.sum())
            found["graph"] = structure.pagerank(query.entities, seeds, live, mask, depth)
    return found


@dataclass(frozen=True, slots=True)
class Candidates:
    pool: np.ndarray  # episode positions
    features: np.ndarray  # len(pool) x len(FEATURES)
    ranks: dict[str, dict[int, int]]  # retriever -> position -> 1-based rank
    mask: np.ndarray  # the positions the filters allow


class _Lookup:
    """A retriever's normalised score and rank at any positions, without arrays as
    large as the namespace (the pool is small; the namespace may be huge)."""

    def __init__(self, found: Ranked) -> None:
        positions, scores = found
        self._order = np.argsort(positions, kind="stable")
        self._sorted = positions[self._order]
        top = float(scores.max()) if len(scores) else 0.0
        self._norm = scores.astype(np.float64) / top if top > 0 else np.zeros(len(scores))

    def _find(self, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if not len(self._sorted):
            return np.zeros(len(positions), dtype=np.bool_), np.zeros(len(positions), np.int64)
        at = np.minimum(np.searchsorted(self._sorted, positions), len(self._sorted) - 1)
        return self._sorted[at] == positions, self._order[at]

    def norm(self, positions: np.ndarray) -> np.ndarray:
        hit, where = self._find(positions)
        out = np.zeros(len(positions), dtype=np.float64)
        out[hit] = self._norm[where[hit]]
        return out

    def rank(self, positions: np.ndarray) -> np.ndarray:
        """1-based ranks; ABSENT_RANK where not found."""
        hit, where = self._find(positions)
        out = np.full(len(positions), float(ABSENT_RANK))
        out[hit] = where[hit] + 1
        return out


def _step(index: NamespaceIndex, positions: np.ndarray, forward: bool) -> np.ndarray:
    """The session neighbour of each position (-1 where there is none)."""
    links = (index.following if forward else index.previous).view()
    out = np.full(len(positions), -1, dtype=np.int64)
    ok = positions >= 0
    out[ok] = links[positions[ok]]
    return out


def _session_scores(index: NamespaceIndex, found: Ranked, lookup: _Lookup) -> dict[int, float]:
    """A session's score: the sum of its three best normalised scores."""
    positions = found[0]
    best: dict[int, list[float]] = {}
    for norm, session in zip(
        lookup.norm(positions).tolist(), index.sessions(positions).tolist(), strict=True
    ):
        best.setdefault(session, []).append(norm)
    sums = {s: sum(sorted(v)[-3:]) for s, v in best.items()}
    top = max(sums.values(), default=0.0)
    return {s: v / top for s, v in sums.items()} if top > 0 else {}


def featurize(
    index: NamespaceIndex,
    structure: StructureIndex,
    query: Query,
    found: dict[str, Ranked],
    mask: np.ndarray,
) -> Candidates:
    lookups = {name: _Lookup(ranked) for name, ranked in found.items()}
    pooled = [ranked[0] for ranked in found.values()]
    everything = np.concatenate(pooled) if pooled else np.zeros(0, dtype=np.int64)
    pool = np.unique(everything)
    pool = pool[mask[pool]]
    columns: list[np.ndarray] = []
    zeros = np.zeros(len(pool))
    for name in RETRIEVERS:
        r = lookups[name].rank(pool) if name in lookups else zeros + ABSENT_RANK
        norm = lookups[name].norm(pool) if name in lookups else zeros
        columns += [norm, 1.0 / (5.0 + r), np.log1p(r)]
    prev1, next1 = _step(index, pool, False), _step(index, pool, True)
    prev2, next2 = _step(index, prev1, False), _step(index, next1, True)
    sessions = index.sessions(pool)
    for name in ("bm25", "dense"):
        if name in lookups:
            columns += [lookups[name].norm(p) for p in (prev1, next1, prev2, next2)]
            by_session = _session_scores(index, found[name], lookups[name])
            columns.append(np.array([by_session.get(int(s), 0.0) for s in sessions]))
        else:
            columns += [zeros] * 5
    speakers = index.speakers(pool)
    named = np.isin(speakers, np.fromiter(query.speakers, np.int32, len(query.speakers)))
    replies = index.replies(pool)
    if query.about_user:  # the asker is the user: their own turns are the named speaker's
        named |= ~replies
    dated = structure.is_dated(pool).astype(np.float64)
    columns += [named.astype(np.float64), dated, dated * (query.shape == "when")]
    reply = replies.astype(np.float64)
    columns += [reply, index.opens(pool).astype(np.float64), reply * query.about_replies]
    kind = (query.shape == "how_many", query.shape == "when", query.about_user, query.about_replies)
    columns += [np.full(len(pool), float(flag)) for flag in kind]
    ranks = {
        name: {int(p): i + 1 for i, p in enumerate(ranked[0].tolist())}
        for name, ranked in found.items()
    }
    return Candidates(pool, np.stack(columns, axis=1), ranks, mask)


def score(
    index: NamespaceIndex, query: Query, candidates: Candidates, ranker: Ranker
) -> np.ndarray:
    """The ranker's score of each pooled episode, with the time adjustments. With a
    single retriever, its own order (the ranker is fitted on all of them)."""
    if len(candidates.ranks) == 1:
        (ranks,) = candidates.ranks.values()
        return -np.array([ranks[int(p)] for p in candidates.pool], dtype=np.float64)
    scores = ranker.score(candidates.features, FEATURES)
    pool = candidates.pool
    if query.window is not None:
        occurred = index.occurred(pool)
        inside = (occurred >= query.window[0]) & (occurred < query.window[1])
        scores = scores + TIME_BOOST * inside
    if query.order is not None and len(pool) > 1:
        order = np.argsort(np.argsort(index.occurred(pool), kind="stable"), kind="stable")
        recency = order / (len(pool) - 1)
        scores = scores + ORDER_BOOST * (recency if query.order == "latest" else 1.0 - recency)
    return scores


def adjustments(index: NamespaceIndex, query: Query, candidates: Candidates) -> np.ndarray:
    """What ``score`` adds to the ranker's score of each pooled episode for time."""
    pool = candidates.pool
    out = np.zeros(len(pool))
    if query.window is not None:
        occurred = index.occurred(pool)
        out = out + TIME_BOOST * ((occurred >= query.window[0]) & (occurred < query.window[1]))
    if query.order is not None and len(pool) > 1:
        order = np.argsort(np.argsort(index.occurred(pool), kind="stable"), kind="stable")
        recency = order / (len(pool) - 1)
        out = out + ORDER_BOOST * (recency if query.order == "latest" else 1.0 - recency)
    return out


@dataclass(frozen=True, slots=True)
class Pool:
    """What the ranker orders for one question, by episode id: for inspecting a
    ranking and for fitting a ranker (``memstrata bench ranker``)."""

    episode_ids: tuple[str, ...]
    features: np.ndarray  # one row per episode, one column per feature name
    feature_names: tuple[str, ...]
    ranks: dict[str, dict[str, int]]  # retriever -> episode id -> 1-based rank
    adjustments: np.ndarray  # what search() adds to the ranker's score for time
    stages_ms: dict[str, float]


_NUMBER = re.compile(r"\d+")
NEAR_DUPLICATE = 0.85  # term-set Jaccard at which a lower hit folds into a higher one
FOLD_WINDOW = 20  # near-duplicates score alike: compare with the last kept hits only


def fold_duplicates(texts: Sequence[tuple[str, str]], limit: int) -> list[list[int]]:
    """Indexes of ``texts`` ((content, index terms), best first) to return, each
    with the near-duplicates folded into it: [kept, duplicate, ...]; at most
    ``limit`` groups. The index terms include the speaker's name, so the same
    words from two speakers stay two hits."""
    groups: list[list[int]] = []
    kept: list[set[str]] = []
    for i, (text, indexed) in enumerate(texts):
        terms = set(indexed.split()) | set(_NUMBER.findall(text))  # "note 2" is not "note 3"
        for group, other in zip(groups[-FOLD_WINDOW:], kept[-FOLD_WINDOW:], strict=True):
            union = terms | other
            if len(union) >= 2 and len(terms & other) >= NEAR_DUPLICATE * len(union):
                group.append(i)
                break
        else:
            if len(groups) == limit:
                break
            groups.append([i])
            kept.append(terms)
    return groups


@dataclass(frozen=True, slots=True)
class Scored:
    """A pooled episode with its final score and the retrievers' ranks."""

    position: int
    score: float
    ranks: dict[str, int]


def ranked_candidates(
    index: NamespaceIndex, query: Query, candidates: Candidates, ranker: Ranker
) -> list[Scored]:
    """Every pooled episode, best first."""
    scores = score(index, query, candidates, ranker)
    out = []
    for i in np.argsort(-scores, kind="stable").tolist():
        p = int(candidates.pool[i])
        ranks = {r: ranked[p] for r, ranked in candidates.ranks.items() if p in ranked}
        out.append(Scored(p, float(scores[i]), ranks))
    return out


# Iterative recall: a first pass whose best hit has a lower probability than this
# is retried with the entities its best hits mention; the new finds count at a
# discount (in logits), so they fill in below what the question itself found.
WEAK_PROBABILITY = 0.5
ROUND_DISCOUNT = 0.5
EXPANSION_ENTITIES = 5


def is_weak(logit: float) -> bool:
    return 1.0 / (1.0 + float(np.exp(-logit))) < WEAK_PROBABILITY


def merge_rounds(first: list[Scored], later: list[Scored]) -> list[Scored]:
    merged = {s.position: s for s in first}
    for s in later:
        discounted = s.score - ROUND_DISCOUNT
        known = merged.get(s.position)
        if known is None or discounted > known.score:
            ranks = known.ranks if known is not None else s.ranks
            merged[s.position] = Scored(s.position, discounted, ranks)
    return sorted(merged.values(), key=lambda s: -s.score)
