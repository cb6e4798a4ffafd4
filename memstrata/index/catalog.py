"""NamespaceIndex: the in-memory view of one namespace, replayed from the change log.

It holds, per indexed episode (a dense ``position``), its store seq, event
time, session and speaker codes and liveness, plus the BM25 postings and the
vector matrix. ``apply`` replays changes in order, so any number of processes
can share one store and catch up by reading the log.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from memstrata.index.bm25 import Bm25Index
from memstrata.index.columns import Column
from memstrata.index.vectors import VectorIndex
from memstrata.store.base import IndexEntry

_NONE = -1


@dataclass(frozen=True, slots=True)
class Filters:
    """Restrictions on which episodes a search may return."""

    session_id: str | None = None
    speaker: str | None = None
    since_us: int | None = None
    until_us: int | None = None
    seqs: frozenset[int] | None = None


class NamespaceIndex:
    def __init__(self, namespace: str, created_us: int, dimensions: int, k1: float, b: float):
        self.namespace = namespace
        self.created_us = created_us
        self.last_change = 0
        self.lock = threading.RLock()
        self.bm25 = Bm25Index(k1, b)
        self.vectors = VectorIndex(dimensions)
        self._seqs = Column(np.int64)
        self._occurred = Column(np.int64)
        self._sessions = Column(np.int32, fill=_NONE)
        self._speakers = Column(np.int32, fill=_NONE)
        self._alive = Column(np.bool_, fill=False)
        self._position: dict[int, int] = {}
        self._session_codes: dict[str, int] = {}
        self._speaker_codes: dict[str, int] = {}

    @property
    def size(self) -> int:
        return self._seqs.size

    def seq_at(self, positions: np.ndarray) -> list[int]:
        return [int(s) for s in self._seqs.view()[positions]]

    def apply(self, entries: Sequence[IndexEntry]) -> None:
        """Replay changes (in change_seq order)."""
        for entry in entries:
            position = self._position.get(entry.seq)
            if entry.op == "add" and position is None and entry.terms is not None:
                self._add(entry)
            elif position is not None and entry.op == "embed" and entry.vector is not None:
                self.vectors.set(position, np.frombuffer(entry.vector, dtype=np.float32))
            elif position is not None and entry.op in ("delete", "purge"):
                if self._alive[position]:
                    self._alive[position] = False
                    self.bm25.set_live(position, False)
                if entry.op == "purge":
                    self.vectors.clear(position)
            elif position is not None and entry.op == "restore" and not self._alive[position]:
                self._alive[position] = True
                self.bm25.set_live(position, True)
            self.last_change = entry.change_seq

    def _add(self, entry: IndexEntry) -> None:
        position = self._seqs.append(entry.seq)
        self._position[entry.seq] = position
        self._occurred.append(entry.occurred_us or 0)
        self._sessions.append(_code(self._session_codes, entry.session_id))
        self._speakers.append(_code(self._speaker_codes, entry.speaker))
        self._alive.append(True)
        self.bm25.add(position, (entry.terms or "").split())
        if entry.vector is not None:
            self.vectors.set(position, np.frombuffer(entry.vector, dtype=np.float32))

    def mask(self, filters: Filters) -> np.ndarray:
        """Boolean selection over positions: live and matching every filter."""
        selected = self._alive.view().copy()
        if filters.session_id is not None:
            code = self._session_codes.get(filters.session_id, -2)
            selected &= self._sessions.view() == code
        if filters.speaker is not None:
            code = self._speaker_codes.get(filters.speaker, -2)
            selected &= self._speakers.view() == code
        if filters.since_us is not None:
            selected &= self._occurred.view() >= filters.since_us
        if filters.until_us is not None:
            selected &= self._occurred.view() < filters.until_us
        if filters.seqs is not None:
            allowed = np.zeros(len(selected), dtype=np.bool_)
            for seq in filters.seqs:
                position = self._position.get(seq)
                if position is not None:
                    allowed[position] = True
            selected &= allowed
        return selected


def _code(codes: dict[str, int], value: str | None) -> int:
    if value is None:
        return _NONE
    code = codes.get(value)
    if code is None:
        code = codes[value] = len(codes)
    return code
