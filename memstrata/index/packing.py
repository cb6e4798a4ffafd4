"""Flat numpy arrays for index snapshots, which hold no pickles: lists of
strings (JSON in UTF-8 bytes), ragged lists of ints (one array and offsets),
and the parts of a state named by a prefix."""

from __future__ import annotations

import json
from array import array
from collections.abc import Sequence
from itertools import pairwise
from typing import Any, TypeAlias

import numpy as np

# One part of a ragged list: a growable array, or a slice of a snapshot's array.
Part: TypeAlias = "array[Any] | np.ndarray"


class Ragged:
    """Growable int arrays by number (a term's postings), appended to in place.

    Read back from a snapshot, parts stay slices of the one flat array until
    first appended to, so loading costs no per-part work. When a reader in
    another thread still holds a numpy view of a part's buffer (which forbids
    resizing in place), the part is replaced by a grown copy: the reader keeps
    the old one.
    """

    def __init__(
        self, typecode: str, flat: np.ndarray | None = None, offsets: np.ndarray | None = None
    ) -> None:
        self._typecode = typecode
        self._flat = np.zeros(0) if flat is None else flat
        self._offsets: list[int] = [0] if offsets is None else offsets.tolist()
        self._parts: list[array[Any] | None] = [None] * (len(self._offsets) - 1)

    def __len__(self) -> int:
        return len(self._parts)

    def __getitem__(self, number: int) -> Part:
        part = self._parts[number]
        if part is not None:
            return part
        return self._flat[self._offsets[number] : self._offsets[number + 1]]

    def add(self) -> int:
        """A new empty part; returns its number."""
        self._parts.append(array(self._typecode))
        return len(self._parts) - 1

    def extend(self, number: int, data: bytes) -> None:
        part = self._parts[number]
        if part is None:
            part = array(self._typecode, self[number].tobytes())
        try:
            part.frombytes(data)
        except BufferError:
            part = array(self._typecode, part)
            part.frombytes(data)
        self._parts[number] = part

    def flat(self, dtype: Any) -> tuple[np.ndarray, np.ndarray]:
        """Every part as one flat array, and the offsets of each part's start."""
        return concatenated([self[n] for n in range(len(self))], dtype)


def to_texts(values: Sequence[str]) -> np.ndarray:
    return np.frombuffer(json.dumps(list(values)).encode("utf-8"), dtype=np.uint8)


def from_texts(packed: np.ndarray) -> list[str]:
    values = json.loads(packed.tobytes().decode("utf-8"))
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValueError("a snapshot's text list is not a list of strings")
    return values


def concatenated(arrays: Sequence[Part], dtype: Any) -> tuple[np.ndarray, np.ndarray]:
    """``arrays`` as one flat numpy array and the offsets where each starts (and
    the last ends): a ragged list flattened for a snapshot."""
    lengths = np.fromiter(map(len, arrays), dtype=np.int64, count=len(arrays))
    offsets = np.zeros(len(arrays) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    flat = np.frombuffer(b"".join(a.tobytes() for a in arrays), dtype=dtype)
    return flat, offsets


def split(flat: np.ndarray, offsets: np.ndarray, typecode: str) -> list[array[Any]]:
    """The arrays ``concatenated`` flattened, as growable arrays again."""
    raw = memoryview(np.ascontiguousarray(flat).tobytes())
    size = flat.itemsize
    bounds = (offsets * size).tolist()
    out: list[array[Any]] = []
    for start, end in pairwise(bounds):
        part = array(typecode)
        part.frombytes(raw[start:end])
        out.append(part)
    return out


def under(state: dict[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    """The entries of ``state`` named ``prefix``..., with the prefix taken off."""
    return {k.removeprefix(prefix): v for k, v in state.items() if k.startswith(prefix)}
