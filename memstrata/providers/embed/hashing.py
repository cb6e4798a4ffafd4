"""HashEmbedder: deterministic feature-hashing vectors, for tests and tiny setups.

Words and character trigrams are hashed (blake2b, so stable across runs and
machines) into signed buckets; texts sharing words get similar vectors.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

from memstrata.config import Settings
from memstrata.providers.registry import register_embedder

_WORD = re.compile(r"\w+")


@register_embedder("hash")
class HashEmbedder:
    name = "hash-64"  # what the registered factory makes (a store's vectors name it)

    def __init__(self, settings: Settings | None = None, dimensions: int = 64) -> None:
        self.dimensions = dimensions
        self.name = f"hash-{dimensions}"

    def _features(self, text: str) -> list[str]:
        words = _WORD.findall(text.lower())
        grams = [w[i : i + 3] for w in words for i in range(max(1, len(w) - 2))]
        return words + ["#" + g for g in grams]

    def embed_array(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for row, text in enumerate(texts):
            for feature in self._features(text):
                digest = hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest()
                value = int.from_bytes(digest, "little")
                out[row, value % self.dimensions] += 1.0 if value >> 63 else -1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1.0, norms)

    def embed_batch(self, texts: Sequence[str]) -> list[list[float]]:
        vectors: list[list[float]] = self.embed_array(texts).tolist()
        return vectors
