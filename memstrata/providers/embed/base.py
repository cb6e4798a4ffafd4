"""The Embedder protocol: one required method."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into vectors of ``dimensions`` floats.

    ``name`` identifies the vector space (model and dimensions): vectors made
    under one name are never compared with vectors made under another.
    """

    name: str
    dimensions: int

    def embed_batch(self, texts: Sequence[str]) -> list[list[float]]: ...
