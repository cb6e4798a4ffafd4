"""Growable numpy columns (amortised O(1) append, zero-copy views)."""

from __future__ import annotations

from typing import Any

import numpy as np


class Column:
    """A 1-D or 2-D numpy array that grows by doubling."""

    def __init__(self, dtype: Any, width: int = 0, fill: object = 0) -> None:
        self._shape_tail: tuple[int, ...] = (width,) if width else ()
        self._fill = fill
        self._data = np.full((16, *self._shape_tail), fill, dtype=dtype)
        self.size = 0

    def _reserve(self, size: int) -> None:
        if size <= len(self._data):
            return
        capacity = max(size, 2 * len(self._data))
        grown = np.full((capacity, *self._shape_tail), self._fill, dtype=self._data.dtype)
        grown[: self.size] = self._data[: self.size]
        self._data = grown

    def append(self, value: object) -> int:
        self._reserve(self.size + 1)
        self._data[self.size] = value
        self.size += 1
        return self.size - 1

    def extend(self, values: np.ndarray) -> int:
        """Append many values; returns the index of the first."""
        start = self.size
        self._reserve(start + len(values))
        self._data[start : start + len(values)] = values
        self.size += len(values)
        return start

    def extend_to(self, size: int) -> None:
        """Grow to ``size`` rows, filling new rows with the fill value."""
        self._reserve(size)
        self.size = max(self.size, size)

    def __setitem__(self, index: int, value: object) -> None:
        self._data[index] = value

    def __getitem__(self, index: int) -> Any:
        return self._data[index]

    def view(self) -> np.ndarray:
        return self._data[: self.size]

    @classmethod
    def of(cls, values: np.ndarray, dtype: Any, fill: object = 0) -> Column:
        """A column over ``values`` (rows of a snapshot read back: taken over, not
        copied, when already of ``dtype``)."""
        values = np.ascontiguousarray(values, dtype=dtype)
        column = cls(dtype, values.shape[1] if values.ndim == 2 else 0, fill)
        column._data = values
        column.size = len(values)
        return column


def fit(mask: np.ndarray, size: int) -> np.ndarray:
    """``mask`` cut or padded (with False) to ``size``: a filter computed before the
    index grew selects none of the positions added since."""
    if len(mask) == size:
        return mask
    if len(mask) > size:
        return mask[:size]
    return np.concatenate([mask, np.zeros(size - len(mask), dtype=np.bool_)])
