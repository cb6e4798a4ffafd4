"""Event segmentation: hard boundaries, embedding surprise, modularity refinement.

Sessions given by the caller and long silences are hard boundaries. Inside
them a new event starts where a turn is surprising: its similarity to the
running centroid of the current event falls more than ``gamma`` standard
deviations below the similarities seen so far in that event (the EM-LLM idea,
with cosine similarity standing in for token surprise). Each soft boundary is
then moved by up to ``window`` turns to maximise the modularity of the
similarity graph over the two events it separates.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from itertools import pairwise

import numpy as np

MIN_LENGTH = 3
MAX_LENGTH = 40
GAMMA = 1.5
GAP = timedelta(hours=6)
WINDOW = 2


def hard_blocks(times: Sequence[datetime], gap: timedelta = GAP) -> list[tuple[int, int]]:
    """[start, end) index ranges separated by silences longer than ``gap``."""
    blocks, start = [], 0
    for i in range(1, len(times)):
        if times[i] - times[i - 1] > gap:
            blocks.append((start, i))
            start = i
    if times:
        blocks.append((start, len(times)))
    return blocks


def surprise_boundaries(
    vectors: np.ndarray,
    gamma: float = GAMMA,
    min_length: int = MIN_LENGTH,
    max_length: int = MAX_LENGTH,
) -> list[int]:
    """Start indexes of the events inside one block (always starting with 0)."""
    starts = [0]
    if len(vectors) == 0:
        return starts
    centroid = vectors[0].astype(np.float64).copy()
    seen: list[float] = []
    for i in range(1, len(vectors)):
        length = i - starts[-1]
        norm = np.linalg.norm(centroid)
        similarity = float(vectors[i] @ centroid / norm) if norm else 0.0
        surprising = (
            length >= min_length
            and len(seen) >= 2
            and similarity < float(np.mean(seen)) - gamma * float(np.std(seen)) - 1e-6
        )
        if surprising or length >= max_length:
            starts.append(i)
            centroid = vectors[i].astype(np.float64).copy()
            seen = []
            continue
        seen.append(similarity)
        centroid += vectors[i]
    return starts


def modularity(similarity: np.ndarray, labels: np.ndarray) -> float:
    """Newman modularity of a partition of a weighted graph (negative weights dropped)."""
    weights = np.clip(similarity, 0.0, None)
    np.fill_diagonal(weights, 0.0)
    total = weights.sum()
    if total <= 0:
        return 0.0
    degree = weights.sum(axis=1)
    same = labels[:, None] == labels[None, :]
    return float(((weights - np.outer(degree, degree) / total) * same).sum() / total)


def refine(
    vectors: np.ndarray, starts: list[int], window: int = WINDOW, min_length: int = MIN_LENGTH
) -> list[int]:
    """Move each soft boundary within ``window`` turns to the best modularity."""
    refined = list(starts)
    for b in range(1, len(refined)):
        left = refined[b - 1]
        right = refined[b + 1] if b + 1 < len(refined) else len(vectors)
        block = vectors[left:right]
        similarity = block @ block.T
        best, best_q = refined[b], None
        for cut in range(refined[b] - window, refined[b] + window + 1):
            if cut - left < min_length or right - cut < 1:
                continue
            labels = (np.arange(right - left) >= cut - left).astype(np.int8)
            q = modularity(similarity, labels)
            if best_q is None or q > best_q + 1e-12:
                best, best_q = cut, q
        refined[b] = best
    return refined


def segment(vectors: np.ndarray, times: Sequence[datetime]) -> list[tuple[int, int]]:
    """[start, end) index ranges of the events of one session, in order."""
    events: list[tuple[int, int]] = []
    for start, end in hard_blocks(times):
        block = vectors[start:end]
        starts = refine(block, surprise_boundaries(block))
        bounds = [*starts, len(block)]
        events += [(start + a, start + b) for a, b in pairwise(bounds) if b > a]
    return events


def central(vectors: np.ndarray) -> int:
    """Index of the most central row (highest mean similarity to the others)."""
    if len(vectors) <= 2:
        return 0
    return int(np.argmax((vectors @ vectors.T).sum(axis=1)))
