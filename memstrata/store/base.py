"""The Store protocol: what every backend provides, grouped by record.

A backend is the store of record. Everything else (the BM25 postings, the
vector matrix, an ANN graph) is rebuilt from it by replaying ``changes``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal, Protocol

from memstrata.model import Episode, JSONValue, NamespaceStats

ChangeOp = Literal["add", "delete", "restore", "purge", "embed"]


@dataclass(frozen=True, slots=True)
class NewEpisode:
    """An episode to persist, with its analyzed terms and (optional) vector."""

    episode: Episode
    terms: str
    vector: bytes | None


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """One replayed change, carrying what the in-memory indexes need."""

    change_seq: int
    op: ChangeOp
    seq: int
    terms: str | None = None
    occurred_us: int | None = None
    session_id: str | None = None
    speaker: str | None = None
    vector: bytes | None = None


@dataclass(frozen=True, slots=True)
class PendingVector:
    """An episode whose vector for the current model is missing."""

    namespace: str
    seq: int
    content: str
    speaker: str | None


class EpisodeStore(Protocol):
    def add(self, namespace: str, items: Sequence[NewEpisode], model: str | None) -> list[Episode]:
        """Persist new episodes in one transaction; an id already stored is returned as is."""
        ...

    def get(self, namespace: str, episode_ids: Sequence[str]) -> list[Episode]: ...

    def by_seq(self, namespace: str, seqs: Sequence[int]) -> dict[int, tuple[Episode, str]]:
        """Live episodes of a namespace by seq, with their analyzed terms."""
        ...

    def set_deleted(
        self, namespace: str, episode_id: str, deleted_at: datetime | None
    ) -> Episode: ...

    def purge(self, namespace: str, episode_ids: Sequence[str]) -> int: ...

    def purge_namespace(self, namespace: str) -> int: ...

    def iterate(self, namespace: str, include_deleted: bool) -> Iterator[Episode]: ...

    def matching_metadata(self, namespace: str, where: dict[str, JSONValue]) -> set[int]: ...


class VectorStore(Protocol):
    def pending(self, model: str, limit: int) -> list[PendingVector]: ...

    def put(self, model: str, dims: int, rows: Sequence[tuple[str, int, bytes]]) -> None: ...

    def drop_all(self) -> None: ...


class ChangeLog(Protocol):
    def since(
        self, namespace: str, change_seq: int, model: str | None, limit: int = 20_000
    ) -> list[IndexEntry]:
        """At most ``limit`` changes after ``change_seq``, in order, with the
        vectors of ``model`` for add/embed."""
        ...


class NamespaceCatalog(Protocol):
    def names(self) -> list[str]: ...

    def created_at(self, namespace: str) -> int | None: ...

    def stats(self, namespace: str, model: str | None) -> NamespaceStats | None: ...


class Store(Protocol):
    """A backend: groups of methods by record, plus store-wide metadata."""

    @property
    def episodes(self) -> EpisodeStore: ...

    @property
    def vectors(self) -> VectorStore: ...

    @property
    def changes(self) -> ChangeLog: ...

    @property
    def namespaces(self) -> NamespaceCatalog: ...

    @property
    def path(self) -> str: ...

    @property
    def schema_version(self) -> int: ...

    def get_meta(self, key: str) -> str | None: ...

    def set_meta(self, key: str, value: str) -> None: ...

    def bytes_on_disk(self) -> int: ...

    def side_path(self, name: str) -> Path | None:
        """Where a rebuildable side index called ``name`` may be cached (None: nowhere)."""
        ...

    def remove_side_files(self, prefix: str) -> None:
        """Delete cached side indexes whose name starts with ``prefix``."""
        ...

    def integrity_ok(self) -> bool: ...

    def close(self) -> None: ...
