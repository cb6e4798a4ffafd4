"""NameIndex: one namespace's entity names, for matching a new name in
near-constant time.

Resolution asks, for every name it has not seen exactly, which known name is
spelt almost the same or embeds almost the same. Scanning every known name
for each new one made ingest quadratic. Here the known names are blocked on
their character trigrams: only names sharing enough trigrams with the new one
are scored, and only the best-blocked few are embedded and compared. Vectors
are cached with the names.

The index is a cache of the store's ``entities`` and ``entity_aliases``: it is
loaded once, grows with what this process writes, and catches up with what
other processes wrote through the entities' creation times.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

# Blocking: names sharing fewer than this share of the new name's trigrams
# (and at least two) are not compared by embedding, and at most
# EMBED_CANDIDATES of the rest are. Two names whose static vectors are 0.93
# alike share most of their word pieces, so little is lost.
MIN_SHARED_SHARE = 0.4
EMBED_CANDIDATES = 64
# Exact-only kinds: canonical labels such as '2023-05-08' or '3 kids'.
EXACT_KINDS = frozenset({"date", "quantity"})


def trigrams(text: str) -> set[str]:
    padded = f"  {text} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of character trigrams."""
    left, right = trigrams(a), trigrams(b)
    return len(left & right) / len(left | right) if left and right else 0.0


@dataclass(frozen=True, slots=True)
class KnownName:
    entity_id: str
    norm: str
    kind: str


class NameIndex:
    """Known names of one namespace with a trigram index and cached vectors."""

    def __init__(self) -> None:
        self.lock = threading.Lock()  # one resolution pass at a time
        self.names: list[KnownName] = []
        self._seen: set[tuple[str, str]] = set()
        self._by_norm: dict[str, int] = {}  # the first name known by each norm
        self._grams: dict[str, list[int]] = {}
        self._vectors: dict[int, np.ndarray] = {}
        self.synced_at: datetime | None = None  # when the store was last read

    def __len__(self) -> int:
        return len(self.names)

    def add(self, entity_id: str, norm: str, kind: str) -> None:
        if (entity_id, norm) in self._seen:
            return
        self._seen.add((entity_id, norm))
        position = len(self.names)
        self.names.append(KnownName(entity_id, norm, kind))
        self._by_norm.setdefault(norm, position)
        if kind not in EXACT_KINDS:
            for gram in trigrams(norm):
                self._grams.setdefault(gram, []).append(position)

    def named(self, norm: str) -> KnownName | None:
        """The known entity of exactly this normalised name or alias."""
        position = self._by_norm.get(norm)
        return None if position is None else self.names[position]

    def blocked(self, norm: str, min_shared: int) -> list[int]:
        """Positions of the names sharing at least ``min_shared`` trigrams with
        ``norm``, most shared first."""
        shared: dict[int, int] = {}
        for gram in trigrams(norm):
            for position in self._grams.get(gram, ()):
                shared[position] = shared.get(position, 0) + 1
        found = [(count, p) for p, count in shared.items() if count >= min_shared]
        found.sort(key=lambda pair: (-pair[0], pair[1]))
        return [p for _, p in found]

    def spelled_like(
        self, norm: str, kind: str, threshold: float, max_length_gap: int = 3
    ) -> tuple[KnownName, float] | None:
        """The most similar spelling of a compatible kind, at least ``threshold``
        (trigram Jaccard): a name sharing fewer than ``threshold`` of the new
        name's trigrams cannot reach it, so only those sharing enough are scored."""
        grams = trigrams(norm)
        best: tuple[KnownName, float] | None = None
        needed = max(1, int(np.ceil(threshold * len(grams))))
        for position in self.blocked(norm, needed):
            known = self.names[position]
            if abs(len(known.norm) - len(norm)) > max_length_gap:
                continue
            if kind != known.kind and "other" not in (kind, known.kind):
                continue
            score = similarity(norm, known.norm)
            if score >= threshold and (best is None or score > best[1]):
                best = (known, score)
        return best

    def embedded_like(
        self,
        norm: str,
        accept: Callable[[KnownName], bool],
        embed: Callable[[Sequence[str]], np.ndarray],
    ) -> tuple[KnownName, float] | None:
        """The accepted name whose vector is closest to ``norm``'s, among the
        EMBED_CANDIDATES names that share the most trigrams with it."""
        needed = max(2, int(np.ceil(MIN_SHARED_SHARE * len(trigrams(norm)))))
        pool = [p for p in self.blocked(norm, needed) if accept(self.names[p])]
        pool = pool[:EMBED_CANDIDATES]
        if not pool:
            return None
        missing = [p for p in pool if p not in self._vectors]
        vectors = embed([norm, *(self.names[p].norm for p in missing)])
        self._vectors.update(zip(missing, vectors[1:], strict=True))
        scores = np.stack([self._vectors[p] for p in pool]) @ vectors[0]
        best = int(np.argmax(scores))
        return self.names[pool[best]], float(scores[best])


class NameCache:
    """NameIndexes of the namespaces written most recently, at most ``size``."""

    def __init__(self, size: int = 64) -> None:
        self._size = size
        self._indexes: dict[str, NameIndex] = {}
        self._lock = threading.Lock()

    def get(self, namespace: str) -> NameIndex | None:
        with self._lock:
            index = self._indexes.pop(namespace, None)
            if index is not None:
                self._indexes[namespace] = index  # most recent last
            return index

    def put(self, namespace: str, index: NameIndex) -> None:
        with self._lock:
            self._indexes.pop(namespace, None)
            self._indexes[namespace] = index
            while len(self._indexes) > self._size:
                del self._indexes[next(iter(self._indexes))]

    def drop(self, namespace: str) -> None:
        with self._lock:
            self._indexes.pop(namespace, None)
