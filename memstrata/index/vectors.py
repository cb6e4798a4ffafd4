"""Exact dense search over a float32 matrix of L2-normalised vectors."""

from __future__ import annotations

import numpy as np

from memstrata.index.bm25 import top_k
from memstrata.index.columns import Column

# Below this share of selected rows, score only the selected rows.
_SUBSET_SHARE = 0.25


class VectorIndex:
    def __init__(self, dimensions: int) -> None:
        self.dimensions = dimensions
        self._matrix = Column(np.float32, width=dimensions)
        self._present = Column(np.bool_, fill=False)
        self.count = 0

    def set(self, position: int, vector: np.ndarray) -> None:
        self._matrix.extend_to(position + 1)
        self._present.extend_to(position + 1)
        if not self._present[position]:
            self.count += 1
        self._matrix[position] = vector
        self._present[position] = True

    def set_many(self, positions: np.ndarray, vectors: np.ndarray) -> None:
        if len(positions) == 0:
            return
        self._matrix.extend_to(int(positions.max()) + 1)
        self._present.extend_to(int(positions.max()) + 1)
        self.count += int((~self._present.view()[positions]).sum())
        self._matrix.view()[positions] = vectors
        self._present.view()[positions] = True

    def matrix(self) -> np.ndarray:
        """The rows indexed so far (rows without a vector are zero)."""
        return self._matrix.view()

    def present(self) -> np.ndarray:
        """Which rows hold a vector."""
        return self._present.view()

    def state(self) -> dict[str, np.ndarray]:
        return {"matrix": self._matrix.view(), "present": self._present.view()}

    @classmethod
    def from_state(cls, state: dict[str, np.ndarray], dimensions: int) -> VectorIndex:
        index = cls(dimensions)
        matrix = state["matrix"]
        if matrix.ndim != 2 or matrix.shape[1] != dimensions:
            raise ValueError("a vector snapshot of other dimensions")
        index._matrix = Column.of(matrix, np.float32, 0.0)
        index._present = Column.of(state["present"], np.bool_, False)
        index.count = int(index._present.view().sum())
        return index

    def clear(self, position: int) -> None:
        """Forget a vector (purge): its row is zeroed, not just masked."""
        if position < self._present.size and self._present[position]:
            self._matrix[position] = 0.0
            self._present[position] = False
            self.count -= 1

    def search(self, query: np.ndarray, k: int, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (positions, cosine scores) among masked positions that have vectors."""
        size = self._present.size
        if size == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        selected = mask[:size] & self._present.view()
        matrix = self._matrix.view()
        if selected.mean() < _SUBSET_SHARE:
            positions = np.flatnonzero(selected)
            scores = matrix[positions] @ query
        else:
            all_scores = matrix @ query
            positions = np.flatnonzero(selected)
            scores = all_scores[positions]
        return top_k(positions, scores, k)
