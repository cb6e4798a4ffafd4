"""Retrieval metrics over ranked id lists and a set of relevant ids; call timing and
process memory for the benches."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence

KS = (1, 5, 10, 20)


def recall_at(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    return len(set(ranked[:k]) & relevant) / len(relevant)


def hit_at(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    return 1.0 if set(ranked[:k]) & relevant else 0.0


def ndcg_at(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    gain = sum(1.0 / math.log2(i + 2) for i, key in enumerate(ranked[:k]) if key in relevant)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(k, len(relevant))))
    return gain / ideal


def question_metrics(
    ranked: Sequence[str], relevant: set[str], session_of: dict[str, str]
) -> dict[str, float]:
    """R@k, Hit@k for KS, NDCG@10 and session recall@10 of one question."""
    row: dict[str, float] = {}
    for k in KS:
        row[f"R@{k}"] = recall_at(ranked, relevant, k)
        row[f"Hit@{k}"] = hit_at(ranked, relevant, k)
    row["NDCG@10"] = ndcg_at(ranked, relevant, 10)
    wanted = {session_of[r] for r in relevant}
    found = {session_of[r] for r in ranked[:10] if r in session_of}
    row["SessR@10"] = len(wanted & found) / len(wanted)
    return row


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))
    return ordered[index]


def percentiles(values: Sequence[float]) -> dict[str, float]:
    """p50, p95 and p99 of ``values``."""
    return {f"p{q}": percentile(values, q) for q in (50, 95, 99)}


def timed_ms(calls: Sequence[Callable[[], object]]) -> list[float]:
    """Milliseconds each call took, in order."""
    times = []
    for call in calls:
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return times


def process_mb(field: str = "VmRSS") -> float:
    """A memory figure of this process from /proc (VmRSS now, VmHWM the peak), MB."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    return float("nan")
