"""An in-memory BM25 index over analyzed terms (Lucene's idf, k1/b saturation).

Postings are appended incrementally; scoring is vectorised with numpy, so an
OR query over a few terms costs O(postings of those terms).
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from memstrata.index.columns import Column
from memstrata.index.packing import Ragged, from_texts, to_texts

# Cache the weights of terms with at least this many postings.
_CACHE_MIN_POSTINGS = 2_048
# Terms in more than this share of documents only bound the score (MaxScore).
_COMMON_SHARE = 0.05
# float32 sums can differ from the bound's float64 by rounding; stay clear of it.
_SAFETY = 1.0 + 1e-5
# A lookup in a posting list (binary search) costs about this many scatter-adds.
_LOOKUP_COST = 4


class _Term(NamedTuple):
    """A query term as scored: postings, tf weights, idf (times its boost)."""

    df: int
    idf: float
    docs: np.ndarray
    weights: np.ndarray
    top: float  # the largest of weights


class Bm25Index:
    def __init__(self, k1: float = 1.5, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b
        self._vocab: dict[str, int] = {}
        self._docs = Ragged("i")  # postings (positions, ascending) per term id
        self._tfs = Ragged("H")  # term frequencies, aligned with the postings
        self._lengths = Column(np.float32)
        self._live_docs = 0
        self._live_length = 0.0
        self._cache: dict[int, tuple[int, float, np.ndarray, float]] = {}

    def add(self, position: int, terms: Sequence[str]) -> None:
        """Index a document at ``position`` (positions are dense, in order)."""
        self._lengths.extend_to(position + 1)
        self._lengths[position] = len(terms)
        self._live_docs += 1
        self._live_length += len(terms)
        for term, count in Counter(terms).items():
            term_id = self._term_id(term)
            self._docs.extend(term_id, array("i", [position]).tobytes())
            self._tfs.extend(term_id, array("H", [min(count, 65_535)]).tobytes())

    def add_many(self, start: int, docs: Sequence[Sequence[str]]) -> None:
        """Index documents at ``start``, ``start + 1``, ...: the same postings as
        ``add`` one by one, built term by term for the whole batch."""
        count = len(docs)
        if not count:
            return
        lengths = np.fromiter(map(len, docs), dtype=np.float32, count=count)
        self._lengths.extend_to(start + count)
        self._lengths.view()[start : start + count] = lengths
        self._live_docs += count
        self._live_length += float(lengths.sum())
        vocab = self._vocab
        term_ids: list[int | None] = []
        freqs: list[int] = []
        positions: list[int] = []
        for offset, terms in enumerate(docs):
            counted = Counter(terms)
            ids = list(map(vocab.get, counted))
            if None in ids:
                ids = [
                    self._term_id(t) if i is None else i for t, i in zip(counted, ids, strict=True)
                ]
            term_ids += ids
            freqs += counted.values()
            positions += [start + offset] * len(counted)
        if not term_ids:
            return  # only empty documents
        ids_array = np.asarray(term_ids, dtype=np.int64)
        order = np.argsort(ids_array, kind="stable")  # positions stay ascending per term
        ids_sorted = ids_array[order]
        docs_sorted = np.asarray(positions, dtype=np.int32)[order]
        tfs_sorted = np.minimum(np.asarray(freqs, dtype=np.int64)[order], 65_535).astype(np.uint16)
        cuts = np.flatnonzero(np.diff(ids_sorted)) + 1
        starts = np.concatenate(([0], cuts))
        ends = np.concatenate((cuts, [len(ids_sorted)]))
        for term_id, a, b in zip(
            ids_sorted[starts].tolist(), starts.tolist(), ends.tolist(), strict=True
        ):
            self._docs.extend(term_id, docs_sorted[a:b].tobytes())
            self._tfs.extend(term_id, tfs_sorted[a:b].tobytes())

    def _term_id(self, term: str) -> int:
        term_id = self._vocab.get(term)
        if term_id is None:
            term_id = self._vocab[term] = self._docs.add()
            self._tfs.add()
        return term_id

    def state(self) -> dict[str, np.ndarray]:
        """Everything this index holds, as flat arrays (see ``from_state``)."""
        docs, offsets = self._docs.flat(np.int32)
        tfs, _ = self._tfs.flat(np.uint16)
        return {
            "vocab": to_texts(list(self._vocab)),  # in term-id order
            "docs": docs,
            "tfs": tfs,
            "offsets": offsets,
            "lengths": self._lengths.view(),
            "live": np.array([self._live_docs, self._live_length], dtype=np.float64),
        }

    @classmethod
    def from_state(cls, state: dict[str, np.ndarray], k1: float, b: float) -> Bm25Index:
        index = cls(k1, b)
        index._vocab = {term: i for i, term in enumerate(from_texts(state["vocab"]))}
        offsets = state["offsets"]
        index._docs = Ragged("i", np.asarray(state["docs"], dtype=np.int32), offsets)
        index._tfs = Ragged("H", np.asarray(state["tfs"], dtype=np.uint16), offsets)
        if not len(index._vocab) == len(index._docs) == len(index._tfs):
            raise ValueError("a BM25 snapshot whose vocabulary and postings differ")
        index._lengths = Column.of(state["lengths"], np.float32)
        index._live_docs = int(state["live"][0])
        index._live_length = float(state["live"][1])
        return index

    def set_live(self, position: int, is_live: bool) -> None:
        """Keep collection statistics to live documents after a delete/restore."""
        sign = 1 if is_live else -1
        self._live_docs += sign
        self._live_length += sign * float(self._lengths[position])

    def _weights(self, term_id: int, avg_length: float) -> tuple[np.ndarray, np.ndarray, float]:
        """(docs, tf-saturation weights, their max) of a term; cached for frequent terms.

        A cached entry is reused only while the term's postings and the average
        document length are unchanged, so scores stay exact.
        """
        docs = np.frombuffer(self._docs[term_id], dtype=np.int32)
        cached = self._cache.get(term_id)
        if cached is not None and cached[0] == len(docs) and cached[1] == avg_length:
            return docs, cached[2], cached[3]
        tfs = np.frombuffer(self._tfs[term_id], dtype=np.uint16).astype(np.float32)
        lengths = self._lengths.view()[docs]
        norm = self.k1 * (1.0 - self.b + self.b * lengths / np.float32(avg_length))
        weights = (tfs * np.float32(self.k1 + 1.0) / (tfs + norm)).astype(np.float32)
        top = float(weights.max())
        if len(docs) >= _CACHE_MIN_POSTINGS:
            self._cache[term_id] = (len(docs), avg_length, weights, top)
        return docs, weights, top

    def postings(self, term: str) -> int:
        """How many documents were indexed with ``term`` (deleted ones included)."""
        term_id = self._vocab.get(term)
        return 0 if term_id is None else len(self._docs[term_id])

    def _plan(self, terms: Sequence[str], boosts: Sequence[float] | None) -> list[_Term]:
        """The query's indexed terms with their idf (times boost) and weights,
        rarest first."""
        docs_n = max(self._live_docs, 1)
        avg_length = max(self._live_length / docs_n, 1e-9)
        boost_of: dict[str, float] = {}
        for term, boost in zip(terms, boosts or [1.0] * len(terms), strict=True):
            boost_of.setdefault(term, boost)  # a repeated term counts once, as first given
        plan = []
        for term, boost in boost_of.items():
            term_id = self._vocab.get(term)
            if term_id is not None:
                df = len(self._docs[term_id])
                idf = boost * float(np.log1p((docs_n - df + 0.5) / (df + 0.5)))
                plan.append(_Term(df, idf, *self._weights(term_id, avg_length)))
        plan.sort(key=lambda item: item.df)
        return plan

    def search(
        self,
        terms: Sequence[str],
        k: int,
        mask: np.ndarray,
        boosts: Sequence[float] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (positions, scores) among positions where ``mask`` is true.

        Exact BM25 (``boosts``: a weight per term, 1 by default). Terms in a
        large share of documents can add at most a small bound U to a score;
        when k documents reached through the rarer terms score above U, no
        document reached only through common terms can enter the top k, so
        only the former are ranked (MaxScore pruning). The common terms' long
        postings are then only looked up at those documents, not scored in
        full. Every path adds a document's terms in the same order (rarest
        first), so the scores are the same float32 sums whichever path ran.
        """
        plan = self._plan(terms, boosts)
        if not plan:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        size = self._lengths.size
        bound, rare = 0.0, len(plan)
        while rare > 1 and plan[rare - 1].df > size * _COMMON_SHARE:
            rare -= 1
            bound += plan[rare].idf * plan[rare].top
        scores = np.zeros(size, dtype=np.float32)
        _scatter(scores, plan[:rare])
        common = plan[rare:]
        if common:
            reached = _union([term.docs for term in plan[:rare]], size)
            reached = reached[mask[reached]]
            reached_scores = scores[reached]
            cheaper = len(reached) * len(common) * _LOOKUP_COST < sum(t.df for t in common)
            if cheaper and int((reached_scores > bound * _SAFETY).sum()) >= k:
                # k documents beat the bound on the rare terms alone: the top k are
                # among them whatever the common terms add
                for term in common:
                    _add_at(reached, reached_scores, term)
                return top_k(reached, reached_scores, k)
            _scatter(scores, common)
            reached_scores = scores[reached]
            if int((reached_scores > bound * _SAFETY).sum()) >= k:
                return top_k(reached, reached_scores, k)
        candidates = np.flatnonzero(scores)
        candidates = candidates[mask[candidates]]
        return top_k(candidates, scores[candidates], k)


def _scatter(scores: np.ndarray, terms: Sequence[_Term]) -> None:
    """Add each term's score at every document of its postings, in order."""
    for term in terms:
        scores[term.docs] += np.float32(term.idf) * term.weights  # each doc listed once


def _add_at(at: np.ndarray, scores: np.ndarray, term: _Term) -> None:
    """Add a term's score to ``scores`` (aligned with positions ``at``) where its
    sorted postings list the position."""
    if not len(at):
        return
    where = np.minimum(np.searchsorted(term.docs, at), len(term.docs) - 1)
    hit = term.docs[where] == at
    scores[hit] += np.float32(term.idf) * term.weights[where[hit]]


def _union(postings: Sequence[np.ndarray], size: int) -> np.ndarray:
    """Sorted distinct positions of several posting lists (each sorted, distinct)."""
    if len(postings) == 1:
        return postings[0]
    total = sum(len(p) for p in postings)
    if total * 16 < size:
        return np.unique(np.concatenate(postings))
    seen = np.zeros(size, dtype=np.bool_)
    for docs in postings:
        seen[docs] = True
    return np.flatnonzero(seen)


def top_k(positions: np.ndarray, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k best (positions, scores), best first; ties broken by position."""
    if len(positions) > k:
        keep = np.argpartition(-scores, k - 1)[:k]
        positions, scores = positions[keep], scores[keep]
    order = np.lexsort((positions, -scores))
    return positions[order], scores[order]
