"""A static model distilled from all-MiniLM-L6-v2: the default embedder where
e5-small does not run fast, and the one for bulk imports on few cores
(thousands of texts a second). Its word table also drives query expansion.

Its weights ship inside this package (models/minilm-static-256, Apache-2.0),
so it loads offline, without PyTorch, in about a second.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from memstrata.config import Settings
from memstrata.errors import MissingDependency
from memstrata.providers.registry import register_embedder

if TYPE_CHECKING:
    from model2vec import StaticModel

MODEL_DIR = Path(__file__).resolve().parent / "models" / "minilm-static-256"


@register_embedder("minilm-static")
class StaticEmbedder:
    """model2vec static embeddings: mean of per-token vectors, L2-normalised."""

    name = "minilm-static-256"
    dimensions = 256

    def __init__(self, settings: Settings | None = None, model_dir: Path = MODEL_DIR) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            from model2vec import StaticModel
        except ImportError as exc:  # pragma: no cover - a core dependency
            raise MissingDependency("core", "model2vec") from exc
        self._model: StaticModel = StaticModel.from_pretrained(str(model_dir))

    def embed_batch(self, texts: Sequence[str]) -> list[list[float]]:
        return self.embed_array(texts).tolist()  # type: ignore[no-any-return]

    def word_vectors(self) -> tuple[list[str], np.ndarray]:
        """The model's whole-word tokens (letters only, 3 or more) and their vectors,
        for query expansion in word space."""
        vocabulary = self._model.tokenizer.get_vocab()
        words = sorted(
            (w for w in vocabulary if w.isalpha() and w.isascii() and len(w) >= 3),
            key=vocabulary.__getitem__,
        )
        rows = np.array([vocabulary[w] for w in words], dtype=np.int64)
        return words, np.asarray(self._model.embedding[rows], dtype=np.float32)

    def embed_array(self, texts: Sequence[str]) -> np.ndarray:
        """The same vectors as a float32 matrix (the fast path used by Memory)."""
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        vectors = self._model.encode(list(texts), batch_size=1024, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)


@cache
def bundled() -> StaticEmbedder:
    """The bundled model, loaded once per process: word vectors for expansion and
    sentence vectors for extractive summaries, whatever embedder stores vectors."""
    return StaticEmbedder()
