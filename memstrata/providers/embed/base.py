"""The Embedder protocol: one required method.

Optional: ``embed_array`` (the same vectors as a float32 matrix, faster),
``embed_queries`` (vectors for questions, where the model embeds a question
differently from what is stored) and ``word_vectors`` (a word table for
query expansion).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into vectors of ``dimensions`` floats.

    ``name`` identifies the vector space (model and dimensions): vectors made
    under one name are never compared with vectors made under another.
    """

    @property
    def name(self) -> str: ...

    @property
    def dimensions(self) -> int: ...

    def embed_batch(self, texts: Sequence[str]) -> list[list[float]]: ...


def embed_normalised(embedder: Embedder, texts: Sequence[str], query: bool = False) -> np.ndarray:
    """L2-normalised float32 vectors (rows) of ``texts`` (``query``: as questions);
    provider errors propagate."""
    queries = getattr(embedder, "embed_queries", None) if query else None
    fast = queries or getattr(embedder, "embed_array", None)
    raw = fast(texts) if fast else np.asarray(embedder.embed_batch(texts), dtype=np.float32)
    vectors = np.ascontiguousarray(raw, dtype=np.float32).reshape(len(texts), -1)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)
