"""Rank fusion of several retrievers' ranked lists."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


@dataclass(slots=True)
class Scored(Generic[K]):
    """A fused result: its key, fused score and the 1-based rank per retriever."""

    key: K
    score: float = 0.0
    ranks: dict[str, int] = field(default_factory=dict)


def fuse_rrf(
    rankings: Mapping[str, Sequence[K]],
    weights: Mapping[str, float] | None = None,
    k: float = 60.0,
) -> list[Scored[K]]:
    """Weighted reciprocal-rank fusion, best first.

    score(d) = sum over retrievers r of weight_r / (k + rank_r(d)).
    Ties keep the order in which keys were first seen.

    >>> [s.key for s in fuse_rrf({"a": ["x", "y"], "b": ["y"]})]
    ['y', 'x']
    """
    fused: dict[K, Scored[K]] = {}
    for name, ranked in rankings.items():
        weight = 1.0 if weights is None else weights.get(name, 1.0)
        for rank, key in enumerate(ranked, start=1):
            item = fused.get(key)
            if item is None:
                item = fused[key] = Scored(key)
            item.score += weight / (k + rank)
            item.ranks[name] = rank
    return sorted(fused.values(), key=lambda s: -s.score)
