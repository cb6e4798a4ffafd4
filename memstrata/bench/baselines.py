"""Baselines computed in the same run: bm25s BM25, exact dense, their weighted
reciprocal-rank fusion (RRF), and (on PostgreSQL) the database's own full-text
ranking."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import numpy as np

from memstrata.errors import MissingDependency
from memstrata.index.bm25 import top_k

K = TypeVar("K", bound=Hashable)


@dataclass(slots=True)
class Fused(Generic[K]):
    """A fused result: its key, fused score and the 1-based rank per retriever."""

    key: K
    score: float = 0.0
    ranks: dict[str, int] = field(default_factory=dict)


def fuse_rrf(
    rankings: Mapping[str, Sequence[K]],
    weights: Mapping[str, float] | None = None,
    k: float = 60.0,
) -> list[Fused[K]]:
    """Weighted reciprocal-rank fusion, best first.

    score(d) = sum over retrievers r of weight_r / (k + rank_r(d)).
    Ties keep the order in which keys were first seen.

    >>> [s.key for s in fuse_rrf({"a": ["x", "y"], "b": ["y"]})]
    ['y', 'x']
    """
    fused: dict[K, Fused[K]] = {}
    for name, ranked in rankings.items():
        weight = 1.0 if weights is None else weights.get(name, 1.0)
        for rank, key in enumerate(ranked, start=1):
            item = fused.get(key)
            if item is None:
                item = fused[key] = Fused(key)
            item.score += weight / (k + rank)
            item.ranks[name] = rank
    return sorted(fused.values(), key=lambda s: -s.score)


class Bm25sBaseline:
    """bm25s with English stop words and the Snowball English stemmer."""

    def __init__(self, texts: Sequence[str]) -> None:
        try:
            import bm25s
            import Stemmer
        except ImportError as exc:
            raise MissingDependency("bench", "bm25s") from exc
        self._bm25s = bm25s
        self._stemmer = Stemmer.Stemmer("english")
        tokens = bm25s.tokenize(
            list(texts), stopwords="en", stemmer=self._stemmer, show_progress=False
        )
        self._retriever = bm25s.BM25()
        self._retriever.index(tokens, show_progress=False)
        self._size = len(texts)

    def rank(self, query: str, k: int) -> list[int]:
        tokens = self._bm25s.tokenize(
            [query], stopwords="en", stemmer=self._stemmer, show_progress=False
        )
        if not tokens.vocab:
            return []
        docs, scores = self._retriever.retrieve(tokens, k=min(k, self._size), show_progress=False)
        return [int(d) for d, s in zip(docs[0], scores[0], strict=True) if s > 0]


class DenseBaseline:
    """Exact cosine search over the same embedder's vectors."""

    def __init__(self, vectors: np.ndarray) -> None:
        self._matrix = vectors

    def rank(self, query_vector: np.ndarray, k: int) -> list[int]:
        scores = self._matrix @ query_vector
        positions, _ = top_k(np.arange(len(scores)), scores, k)
        return [int(p) for p in positions]


def rrf_baseline(bm25: list[int], dense: list[int], k: int) -> list[int]:
    """Equal-weight reciprocal-rank fusion (k=60)."""
    return [s.key for s in fuse_rrf({"bm25": bm25, "dense": dense})][:k]


class PostgresFullText:
    """PostgreSQL full-text search over a namespace's stored episodes, as a user
    of the database alone would run it: ``to_tsvector('english', speaker: content)``,
    the question's lexemes OR-ed (``plainto_tsquery`` would AND them and find
    almost nothing), ranked by ``ts_rank`` or ``ts_rank_cd``."""

    FUNCTIONS = ("ts_rank", "ts_rank_cd")

    def __init__(self, store: Any, namespace: str) -> None:
        self._store = store
        self._namespace = namespace

    def rank(self, query: str, k: int, function: str) -> list[str]:
        """Episode ids, best first."""
        if function not in self.FUNCTIONS:
            raise ValueError(function)
        document = "to_tsvector('english', coalesce(speaker, '') || ': ' || content)"
        statement = (
            "WITH q AS (SELECT nullif(replace(plainto_tsquery('english', %s)::text, "
            "' & ', ' | '), '')::tsquery AS q) "
            f"SELECT episode_id FROM episodes, q WHERE namespace = %s AND deleted_at IS NULL "
            f"AND {document} @@ q.q ORDER BY {function}({document}, q.q) DESC, seq LIMIT %s"
        )
        with self._store.reader() as conn:
            rows = conn.execute(statement, [query, self._namespace, k]).fetchall()
        return [str(r[0]) for r in rows]
