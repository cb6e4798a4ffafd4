"""Memory's recall part: the per-namespace indexes held in this process
(replayed from the store's change logs, snapshotted beside a SQLite file),
the ranker, the word space, and the passes of one recall over them. Each
call takes the namespace already resolved and a validated ``Ask``."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from memstrata.config import Settings
from memstrata.index import snapshot
from memstrata.index.namespace_index import AnnPolicy, NamespaceIndex
from memstrata.model import Hit
from memstrata.providers.embed.base import Embedder
from memstrata.retrieve.candidates import to_hit
from memstrata.retrieve.engine import Ask, candidates, rank_rounds
from memstrata.retrieve.expand import WordSpace
from memstrata.retrieve.query import Query
from memstrata.retrieve.ranker import Ranker, shipped_model
from memstrata.retrieve.recall import (
    FEATURES,
    Candidates,
    Pool,
    Scored,
    adjustments,
    fold_duplicates,
)
from memstrata.store.base import Store, VectorSearch
from memstrata.timing import StageTimings

REPLAY_PAGE = 20_000  # change-log rows replayed at a time
# Texts to normalised float32 vectors; None (logged) when the provider fails.
Embed = Callable[[Sequence[str]], np.ndarray | None]


@dataclass(frozen=True, slots=True)
class Ranked:
    """A recall's outcome: the index it ran on, the analysed question, every pooled
    episode best first, the stages' timings and the filters' mask."""

    index: NamespaceIndex
    question: Query
    ranking: list[Scored]
    stages: StageTimings
    mask: np.ndarray


class Recall:
    """Recall over one store with one embedder. ``embed`` makes passages' vectors
    (notes' and facts' keys), ``embed_questions`` questions'."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        embedder: Embedder,
        embed: Embed,
        embed_questions: Embed,
    ) -> None:
        self.store = store
        self.settings = settings
        self.embedder = embedder
        self.embed = embed
        self.embed_questions = embed_questions
        self._indexes: dict[str, NamespaceIndex] = {}
        self._lock = threading.Lock()
        self._ranker: Ranker | None = None

    # -- models ----------------------------------------------------------------

    @property
    def ranker(self) -> Ranker:
        """MEMSTRATA_RANKER, or the model shipped for this embedder (loaded once)."""
        if self._ranker is None:
            path = self.settings.ranker
            self._ranker = Ranker.load(path or shipped_model(self.embedder.name))
        return self._ranker

    @cached_property
    def word_space(self) -> WordSpace | None:
        """The embedder's word vectors, for query expansion (None: it has none)."""
        table = getattr(self.embedder, "word_vectors", None)
        return WordSpace(*table()) if callable(table) else None

    # -- one recall ------------------------------------------------------------

    def first_pass(
        self, ns: str, ask: Ask
    ) -> tuple[NamespaceIndex, Query, Candidates, StageTimings] | None:
        """Query analysis, every retriever, the features of the pool (None: the
        namespace holds nothing)."""
        stages = StageTimings()
        with stages.stage("index"):
            index = self.index(ns)
        if index is None:
            return None
        with index.lock:
            mask = index.mask(ask.filters)
        question, pooled = candidates(
            index, ask, ask.text, mask, self.embed_questions, stages, self.word_space
        )
        return index, question, pooled, stages

    def ranked(self, ns: str, ask: Ask, rounds: int | None) -> Ranked | None:
        """Every pooled episode, best first, with iterative recall when ``rounds``
        (default MEMSTRATA_RECALL_ROUNDS) allow."""
        recalled = self.first_pass(ns, ask)
        if recalled is None:
            return None
        index, question, pooled, stages = recalled
        left = self.settings.recall_rounds if rounds is None else rounds
        ranking = rank_rounds(
            self.store,
            ns,
            index,
            ask,
            (question, pooled),
            self.ranker,
            left,
            self.embed_questions,
            stages,
            self.word_space,
        )
        return Ranked(index, question, ranking, stages, pooled.mask)

    def hits(self, ns: str, ranked: Ranked, count: int) -> list[Hit]:
        """The best ``count`` of the ranking as hits, near-duplicates folded into the
        best of them."""
        best = ranked.ranking[: count + count // 2 + 2]
        with ranked.index.lock:
            seqs = ranked.index.seq_at(np.array([r.position for r in best], dtype=np.int64))
        with ranked.stages.stage("fetch"):
            rows = self.store.episodes.by_seq(ns, seqs)
        found = [(r, *rows[s]) for r, s in zip(best, seqs, strict=True) if s in rows]
        with ranked.stages.stage("fold"):
            groups = fold_duplicates([(e.content, terms) for _, e, terms in found], count)
        hits = []
        for group in groups:
            top, episode, _ = found[group[0]]
            hit = to_hit(episode, top.score, top.ranks)
            if len(group) > 1:  # near-duplicates said again: one hit, every source
                hit = replace(hit, episode_ids=(episode.id, *(found[j][1].id for j in group[1:])))
            hits.append(hit)
        return hits

    def pool(self, ns: str, ask: Ask) -> Pool:
        """The first pass's pool by episode id, unranked, with its features."""
        recalled = self.first_pass(ns, ask)
        if recalled is None:
            return Pool((), np.zeros((0, len(FEATURES))), FEATURES, {}, np.zeros(0), {})
        index, question, pooled, stages = recalled
        seqs = index.seq_at(pooled.pool)
        found = self.store.episodes.by_seq(ns, seqs)
        ids = {int(p): found[s][0].id for p, s in zip(pooled.pool.tolist(), seqs, strict=True)}
        ranks = {
            name: {ids[p]: rank for p, rank in ranked.items() if p in ids}
            for name, ranked in pooled.ranks.items()
        }
        return Pool(
            tuple(ids.values()),
            pooled.features,
            FEATURES,
            ranks,
            adjustments(index, question, pooled),
            {k: 1000 * v for k, v in stages.seconds().items()},
        )

    # -- the indexes -----------------------------------------------------------

    def index(self, ns: str) -> NamespaceIndex | None:
        """The namespace's index, caught up with the store (None: it holds nothing)."""
        created = self.store.namespaces.created_at(ns)
        with self._lock:
            index = self._indexes.get(ns)
            if created is None:
                self._indexes.pop(ns, None)
                return None
            if index is None or index.created_us != created:
                index = self._indexes[ns] = self.new_index(ns, created)
        with index.lock:
            self._catch_up(index)
            self._save_snapshot(index, closing=False)
        if index.purged:  # a fresh replay holds nothing of what was purged
            self.store.remove_side_files([f"index/{ns}.npz"])
            with self._lock:
                if self._indexes.get(ns) is index:
                    del self._indexes[ns]
            return self.index(ns)
        return index

    def new_index(self, ns: str, created: int) -> NamespaceIndex:
        """An index for the namespace: from its snapshot file when there is one
        for this incarnation and embedder, else empty (replayed from the log)."""

        def empty() -> NamespaceIndex:
            return NamespaceIndex(
                ns,
                created,
                self.embedder.dimensions,
                self.settings.bm25_k1,
                self.settings.bm25_b,
                self._ann_policy(ns),
            )

        index = empty()
        path = self.store.side_path(f"index/{ns}.npz")
        if path is None or not path.exists() or snapshot.load(index, path, self.embedder.name):
            return index
        return empty()  # a half-filled index is never used

    def drop(self, ns: str) -> None:
        """Let the namespace's index go (a graph still building there is discarded)."""
        with self._lock:
            self._indexes.pop(ns, None)

    def drop_all(self) -> None:
        with self._lock:
            self._indexes.clear()

    def wait_for_graphs(self, namespaces: Sequence[str]) -> None:
        """Bring each namespace's index up to date, waiting for HNSW graphs being built."""
        for ns in namespaces:
            index = self.index(ns)
            if index is not None:
                index.wait_for_ann()

    def leave_snapshot(self, ns: str) -> None:
        """For a namespace large enough to want one, replay its index and write
        its snapshot if the file lacks changes, then let the index go (a bulk
        worker's last step: the next process's first search loads the file
        instead of replaying the whole log)."""
        stats = self.store.namespaces.stats(ns, self.embedder.name)
        if stats is None or stats.episodes < snapshot.MIN_EPISODES:
            return
        if self.store.side_path(f"index/{ns}.npz") is None:
            return  # no side files here (PostgreSQL)
        index = self.index(ns)
        if index is not None:
            with index.lock:
                self._save_snapshot(index, closing=True)
        self.drop(ns)

    def close(self) -> None:
        """Save finished HNSW graphs and the snapshots that are due (caches)."""
        with self._lock:
            indexes = list(self._indexes.values())
        for index in indexes:  # a graph still building is not waited for: rebuilt next time
            with index.lock:
                index.save_ann()
                if snapshot.is_due(index, closing=True):
                    self._catch_up(index)  # a purge by another process is seen first
                    self._save_snapshot(index, closing=True)

    def _ann_policy(self, ns: str) -> AnnPolicy:
        side = self.store.side_path(f"ann/{ns}.usearch")
        database = self.store.vectors
        return AnnPolicy(
            self.settings.ann_threshold,
            side,
            self.embedder.name,
            self.settings.ann_ef_search,
            database if isinstance(database, VectorSearch) else None,
        )

    def _catch_up(self, index: NamespaceIndex) -> None:
        """Replay what the logs hold past the index (in pages, so a large namespace
        loads in bounded memory); the caller holds ``index.lock``."""
        model = None if index.in_database else self.embedder.name
        ns = index.namespace
        while page := self.store.changes.since(ns, index.last_change, model, REPLAY_PAGE):
            index.apply(page)
        self._replay_structure(ns, index)

    def _save_snapshot(self, index: NamespaceIndex, closing: bool) -> None:
        """Write the namespace's snapshot file when it is due; the caller holds
        ``index.lock``."""
        if snapshot.is_due(index, closing):
            path = self.store.side_path(f"index/{index.namespace}.npz")
            if path is not None:
                snapshot.save(index, path, self.embedder.name)

    def _replay_structure(self, ns: str, index: NamespaceIndex) -> None:
        """Bring the index's notes, facts and mention graph up to the structure log."""
        structure = index.structure
        while True:
            mark, rows = self.store.structure.recall_rows(
                ns, structure.watermark, REPLAY_PAGE, self.embedder.name
            )
            if mark == structure.watermark:
                break
            structure.apply(rows, index.position)
            structure.watermark = mark
        if index.size <= self.settings.ann_threshold:
            structure.embed(self.embed)
        else:
            # Embedding every note and fact would cost a large namespace a long cold
            # load and a second matrix; keys_dense adds nothing measurable (bench
            # ablation), so it serves small namespaces only.
            structure.stop_embedding()
