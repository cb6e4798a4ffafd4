"""An in-memory BM25 index over analyzed terms (Lucene's idf, k1/b saturation).

Postings are appended incrementally; scoring is vectorised with numpy, so an
OR query over a few terms costs O(postings of those terms).
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Sequence

import numpy as np

from memstrata.index.columns import Column


class Bm25Index:
    def __init__(self, k1: float = 1.5, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b
        self._vocab: dict[str, int] = {}
        self._docs: list[array[int]] = []
        self._tfs: list[array[int]] = []
        self._lengths = Column(np.float32)
        self._live_docs = 0
        self._live_length = 0.0

    def add(self, position: int, terms: Sequence[str]) -> None:
        """Index a document at ``position`` (positions are dense, in order)."""
        self._lengths.extend_to(position + 1)
        self._lengths[position] = len(terms)
        self._live_docs += 1
        self._live_length += len(terms)
        for term, count in Counter(terms).items():
            term_id = self._vocab.get(term)
            if term_id is None:
                term_id = self._vocab[term] = len(self._docs)
                self._docs.append(array("i"))
                self._tfs.append(array("H"))
            self._docs[term_id].append(position)
            self._tfs[term_id].append(min(count, 65_535))

    def set_live(self, position: int, is_live: bool) -> None:
        """Keep collection statistics to live documents after a delete/restore."""
        sign = 1 if is_live else -1
        self._live_docs += sign
        self._live_length += sign * float(self._lengths[position])

    def search(
        self, terms: Sequence[str], k: int, mask: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (positions, scores) among positions where ``mask`` is true."""
        docs_n = max(self._live_docs, 1)
        avg_length = max(self._live_length / docs_n, 1e-9)
        lengths = self._lengths.view()
        parts_docs: list[np.ndarray] = []
        parts_scores: list[np.ndarray] = []
        for term in dict.fromkeys(terms):
            term_id = self._vocab.get(term)
            if term_id is None:
                continue
            docs = np.frombuffer(self._docs[term_id], dtype=np.int32)
            tfs = np.frombuffer(self._tfs[term_id], dtype=np.uint16).astype(np.float32)
            df = len(docs)
            idf = np.log1p((docs_n - df + 0.5) / (df + 0.5))
            norm = self.k1 * (1.0 - self.b + self.b * lengths[docs] / avg_length)
            parts_docs.append(docs)
            parts_scores.append(idf * tfs * (self.k1 + 1.0) / (tfs + norm))
        if not parts_docs:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        all_docs = np.concatenate(parts_docs)
        scores = np.bincount(all_docs, weights=np.concatenate(parts_scores))
        candidates = np.flatnonzero(scores)
        candidates = candidates[mask[candidates]]
        return top_k(candidates, scores[candidates], k)


def top_k(positions: np.ndarray, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k best (positions, scores), best first; ties broken by position."""
    if len(positions) > k:
        keep = np.argpartition(-scores, k - 1)[:k]
        positions, scores = positions[keep], scores[keep]
    order = np.lexsort((positions, -scores))
    return positions[order], scores[order]
