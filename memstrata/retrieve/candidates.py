"""Candidates: each retriever ranks the selected episodes of one namespace."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from memstrata.index.analyzer import analyze
from memstrata.index.catalog import Filters, NamespaceIndex
from memstrata.model import Episode, Hit

RETRIEVERS = ("bm25", "dense")


def rank_candidates(
    index: NamespaceIndex,
    query: str,
    query_vector: np.ndarray | None,
    filters: Filters,
    depth: int,
    retrievers: Sequence[str] = RETRIEVERS,
) -> dict[str, list[int]]:
    """Episode seqs ranked by each retriever, best first (at most ``depth`` each)."""
    rankings: dict[str, list[int]] = {}
    with index.lock:
        mask = index.mask(filters)
        if "bm25" in retrievers:
            positions, _ = index.bm25.search(analyze(query), depth, mask)
            rankings["bm25"] = index.seq_at(positions)
        if "dense" in retrievers and query_vector is not None and index.vectors.count:
            positions, _ = index.dense(query_vector, depth, mask)
            rankings["dense"] = index.seq_at(positions)
    return rankings


def to_hit(episode: Episode, score: float, ranks: Mapping[str, int]) -> Hit:
    """A search result for an episode, with the ranks that found it."""
    return Hit(
        id=episode.id,
        kind="episode",
        namespace=episode.namespace,
        text=episode.content,
        score=score,
        occurred_at=episode.occurred_at,
        session_id=episode.session_id,
        speaker=episode.speaker,
        episode_ids=(episode.id,),
        ranks=dict(ranks),
        metadata=episode.metadata,
    )
