"""Benchmarks: run side by side with their baselines, in one process."""

from __future__ import annotations

import os

STATIC = "minilm-static"


def scale_embedder() -> str:
    """The embedder of the benches that fill a store with synthetic messages
    (scale, scaleout, pgvector): MEMSTRATA_EMBEDDER when set, else the static
    model. They measure the store and its indexes; with e5 a million messages
    would take about seven hours to embed on 2 cores (its rate is reported
    separately)."""
    return os.environ.get("MEMSTRATA_EMBEDDER") or STATIC
