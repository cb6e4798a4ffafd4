"""An HNSW side index (usearch) for dense search in large namespaces.

Keys are episode seqs, so a saved index stays valid across processes. It is
a cache: a file next to the store holds the graph plus the change_seq it
covers (its watermark), and whatever came later is replayed from the change
log. Deleting the files loses nothing.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from memstrata.errors import MissingDependency

CONNECTIVITY = 16
EXPANSION_ADD = 128
EXPANSION_SEARCH = 512


@dataclass(frozen=True, slots=True)
class Watermark:
    """What a saved index covers: the namespace incarnation, model and last change."""

    created_us: int
    model: str
    change_seq: int


class AnnIndex:
    def __init__(self, dimensions: int, ef_search: int = EXPANSION_SEARCH) -> None:
        try:
            from usearch.index import Index
        except ImportError as exc:  # pragma: no cover - a core dependency
            raise MissingDependency("core", "usearch") from exc
        self._index = Index(
            ndim=dimensions,
            metric="ip",
            dtype="f16",
            connectivity=CONNECTIVITY,
            expansion_add=EXPANSION_ADD,
            expansion_search=ef_search,
        )

    def __len__(self) -> int:
        return len(self._index)

    def add(self, seqs: np.ndarray, vectors: np.ndarray) -> None:
        """Insert (or replace) vectors under their seqs."""
        if len(seqs) == 0:
            return
        keys = np.asarray(seqs, dtype=np.uint64)
        present = [int(k) for k in keys if int(k) in self._index]
        for key in present:
            self._index.remove(key)
        # One thread: usearch's concurrent insertion can leave a node stored
        # but unreachable from the entry point (unum-cloud/USearch#735), a
        # memory dense search would never return again.
        self._index.add(keys, np.asarray(vectors, dtype=np.float32), threads=1)

    def remove(self, seq: int) -> None:
        if seq in self._index:
            self._index.remove(seq)

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Approximate top-k (seqs, inner products), best first."""
        if len(self._index) == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        matches = self._index.search(np.asarray(query, dtype=np.float32), k)
        return matches.keys.astype(np.int64), (1.0 - matches.distances).astype(np.float32)

    def save(self, path: Path, watermark: Watermark) -> None:
        """Write the graph and its watermark atomically (temp file, then rename)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_suffix(".tmp")
        self._index.save(str(temp))
        os.replace(temp, path)
        meta = path.with_suffix(".json")
        meta_temp = meta.with_suffix(".json.tmp")
        meta_temp.write_text(
            json.dumps(
                {
                    "created_us": watermark.created_us,
                    "model": watermark.model,
                    "change_seq": watermark.change_seq,
                }
            )
        )
        os.replace(meta_temp, meta)

    @classmethod
    def load(
        cls, path: Path, dimensions: int, expected: Watermark, ef_search: int = EXPANSION_SEARCH
    ) -> tuple[AnnIndex, int] | None:
        """A saved index and its change_seq, if it belongs to this namespace and model."""
        meta = path.with_suffix(".json")
        try:
            saved = json.loads(meta.read_text())
            if saved["created_us"] != expected.created_us or saved["model"] != expected.model:
                return None
            index = cls(dimensions, ef_search=ef_search)
            index._index.load(str(path))
            setattr(index._index, "expansion_search", ef_search)  # noqa: B010 - typed read-only, settable
            if index._index.ndim != dimensions:
                return None
            return index, int(saved["change_seq"])
        except (OSError, ValueError, KeyError, RuntimeError):
            return None
