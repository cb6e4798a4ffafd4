"""Memory's writing part: storing episodes (analysed, embedded, in one
transaction), extracting their structure, the worker's pass over what add()
left (vectors, extraction), and bulk loads on worker processes. Each call
takes the namespace already resolved and episodes already validated."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from functools import partial

import numpy as np

from memstrata.bulk import BulkWorkers, Shard, owned
from memstrata.config import Settings
from memstrata.errors import Conflict, InvalidInput, ProviderError
from memstrata.extract.base import Extractor
from memstrata.extract.llm import LlmExtractor
from memstrata.extract.offline import OfflineExtractor
from memstrata.extract.pipeline import KeyEmbedding, extract_queued
from memstrata.index import analyzer
from memstrata.messages import index_text
from memstrata.model import Added, Episode
from memstrata.providers.embed.base import Embedder, embed_normalised
from memstrata.providers.embed.static import bundled
from memstrata.providers.llm.chat import ChatClient
from memstrata.providers.registry import embedder_for
from memstrata.resolve.matchers import EmbeddingNameMatcher, LlmNameMatcher, NameMatcher
from memstrata.resolve.names import NameCache
from memstrata.store import NewEpisode
from memstrata.store.base import Store
from memstrata.timing import StageTimings

log = logging.getLogger("memstrata")
EMBED_BATCH = 2048
RESCAN_VECTORS_S = 60.0  # the worker looks at every episode for missing vectors this often
LLM_NAME_QUESTIONS = 5  # most LLM questions about entity names per add()
# The chat client for a purpose, made once (Memory's): (purpose, setting) -> client.
Chat = Callable[[str, str], ChatClient]


def embed(
    embedder: Embedder, texts: Sequence[str], raise_errors: bool = False, query: bool = False
) -> np.ndarray | None:
    """Normalised float32 vectors (``query``: of questions), or None (logged)
    when the provider fails."""
    try:
        return embed_normalised(embedder, texts, query)
    except ProviderError as exc:
        if raise_errors:
            raise
        log.warning("embedding failed, episodes kept without vectors until flush(): %s", exc)
        return None


class Writer:
    """What add(), import_(), bulk(), flush() and the worker write through."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        embedder: Embedder,
        timings: StageTimings,
        chat: Chat,
    ) -> None:
        self.store = store
        self.settings = settings
        self.embedder = embedder
        self.timings = timings
        self._matchers: list[NameMatcher] = []
        self._names = NameCache()  # entity names of the namespaces written lately
        self._failed: dict[str, set[str]] = {}  # episodes whose extraction failed, per namespace
        self.vectors_after = 0  # the worker's mark: episodes up to it have vectors
        self.vectors_scanned = 0.0  # when the worker last looked at every episode
        self._bulk_loads = 0  # bulk() loads running
        self._bulk_lock = threading.Lock()
        self.extractor = self._make_extractor(chat)

    def _make_extractor(self, chat: Chat) -> Extractor | None:
        """The configured extractor, and the entity matchers that go with it."""
        if self.settings.extractor == "none":
            return None
        # names are short: the bundled static model embeds them well enough, in
        # microseconds, whatever embedder stores the vectors
        self._matchers.append(
            EmbeddingNameMatcher(lambda names: embed_normalised(bundled(), names))
        )
        if self.settings.extractor == "llm":
            client = chat("the llm extractor", "extractor")
            self._matchers.append(LlmNameMatcher(client))
            return LlmExtractor(client, OfflineExtractor())
        return OfflineExtractor()

    # -- storing ---------------------------------------------------------------

    def add(self, ns: str, episodes: Sequence[Episode]) -> Added:
        """Store the episodes and extract what is queued in the namespace."""
        added = self.persist(ns, episodes)
        self.extract(ns)
        failed = self._failed.get(ns, set())
        added.extraction_failed = tuple(e.id for e in added if e.id in failed)
        return added

    def forget_names(self, ns: str) -> None:
        """Drop the namespace's cached entity names (it was emptied)."""
        self._names.drop(ns)

    def failed(self, ns: str) -> int:
        """How many of the namespace's episodes failed extraction in this process."""
        return len(self._failed.get(ns, ()))

    def persist(self, ns: str, episodes: Sequence[Episode]) -> Added:
        """Analyze, embed (a failure leaves vectors pending) and store in one transaction.

        Episodes whose ids are already stored (or repeated in the batch) with the
        same message are returned as stored, neither analyzed nor embedded again
        (a re-run import costs a lookup), and listed in ``already_present``; one
        under a stored id with other content raises Conflict, storing nothing."""
        present = {e.id: e for e in self.store.episodes.get(ns, [e.id for e in episodes])}
        fresh: dict[str, Episode] = {}
        repeated: list[str] = []
        for i, e in enumerate(episodes):
            earlier = present.get(e.id) or fresh.get(e.id)
            if earlier is None:
                fresh[e.id] = e
            elif earlier.says_the_same(e):
                repeated.append(e.id)
            else:
                raise Conflict(
                    "episode", e.id, ns, field=f"messages[{i}].id", in_batch=e.id not in present
                )
        stored = {e.id: e for e in self._persist_fresh(ns, list(fresh.values()))} if fresh else {}
        added = Added(present.get(e.id) or stored[e.id] for e in episodes)
        added.already_present = tuple(repeated)
        return added

    def _persist_fresh(self, ns: str, episodes: Sequence[Episode]) -> list[Episode]:
        texts = [index_text(e.speaker, e.content) for e in episodes]
        vectors = None  # left to the worker or flush()
        if self.settings.embed_on_add and not self.defers():
            with self.timings.stage("embed"):
                vectors = embed(self.embedder, texts)
        with self.timings.stage("analyze"):
            new = [
                NewEpisode(
                    e,
                    " ".join(analyzer.terms(t)),
                    None if vectors is None else vectors[i].tobytes(),
                )
                for i, (e, t) in enumerate(zip(episodes, texts, strict=True))
            ]
        with self.timings.stage("persist"):
            return self.store.episodes.add(ns, new, self.embedder.name)

    def import_batch(self, episodes: Sequence[Episode]) -> tuple[int, int]:
        """Store exported episodes, each in its namespace, with their deletion marks;
        returns how many were added and how many were stored already."""
        added = skipped = 0
        by_namespace: dict[str, list[Episode]] = {}
        for e in episodes:
            by_namespace.setdefault(e.namespace, []).append(e)
        for ns, group in by_namespace.items():
            present = {e.id for e in self.store.episodes.get(ns, [e.id for e in group])}
            self.persist(ns, group)  # a stored id with other content: Conflict
            self.extract(ns)
            fresh = list({e.id: e for e in reversed(group) if e.id not in present}.values())
            for e in fresh:
                if e.deleted_at is not None:
                    self.store.episodes.set_deleted(ns, e.id, e.deleted_at)
            skipped += len(group) - len(fresh)
            added += len(fresh)
        return added, skipped

    # -- extraction and vectors ----------------------------------------------------

    @property
    def keys(self) -> KeyEmbedding:
        """How new notes' and facts' texts get their stored vectors."""
        return KeyEmbedding(self.embedder.name, partial(embed, self.embedder))

    def extract(self, ns: str) -> None:
        """Extract the namespace's queue now, unless extraction is deferred."""
        if self.extractor is not None and self.settings.extract_on_add and not self.defers():
            for matcher in self._matchers:
                if isinstance(matcher, LlmNameMatcher):
                    matcher.budget = LLM_NAME_QUESTIONS  # per add()
            self._extract_namespace(ns)

    def _extract_namespace(self, ns: str) -> int:
        """Extract the namespace's queued episodes; returns how many failed."""
        assert self.extractor is not None
        failures = self._failed.setdefault(ns, set())
        return extract_queued(
            self.store,
            self.extractor,
            ns,
            self.timings,
            self._matchers,
            self._names,
            self.keys,
            failures,
        )

    def extract_queued(self, shard: Shard | None = None) -> int:
        """Extract every queued episode of every namespace (of the shard's); the
        worker's and flush()'s share. Returns how many namespaces' queues were
        emptied."""
        if self.extractor is None:
            return 0
        queued = [ns for ns in self.store.structure.queued_namespaces() if owned(shard, ns)]
        return sum(self._extract_namespace(ns) == 0 for ns in queued)

    def work_queued(self, shard: Shard | None = None) -> int:
        """The worker's pass: the vectors add() left, then queued extraction (of
        the shard's namespaces). Returns how much it did (0: nothing was left)."""
        full = time.monotonic() - self.vectors_scanned >= RESCAN_VECTORS_S
        if full:  # a lower seq committed late, or a vector failed: not past the mark
            self.vectors_scanned = time.monotonic()
        try:
            start = 0 if full else self.vectors_after
            made, self.vectors_after = self.fill_vectors(start, shard)
        except ProviderError as exc:  # extraction goes on; the vectors wait for the embedder
            log.warning("embedding failed, episodes kept without vectors: %s", exc)
            made = 0
        return made + self.extract_queued(shard)

    def fill_vectors(self, after: int = 0, shard: Shard | None = None) -> tuple[int, int]:
        """Embed the episodes past seq ``after`` (of the shard's namespaces) still
        missing a vector; returns how many were made and the last seq seen.
        Raises ProviderError."""
        made = 0
        while batch := self.store.vectors.pending(self.embedder.name, EMBED_BATCH, after):
            after = batch[-1].seq
            pending = [p for p in batch if owned(shard, p.namespace)]
            if not pending:
                continue
            with self.timings.stage("embed"):
                vectors = embed(
                    self.embedder,
                    [index_text(p.speaker, p.content) for p in pending],
                    raise_errors=True,
                )
            assert vectors is not None
            self.store.vectors.put(
                self.embedder.name,
                vectors.shape[1],
                [(p.namespace, p.seq, vectors[i].tobytes()) for i, p in enumerate(pending)],
            )
            made += len(pending)
        return made, after

    # -- bulk loads ------------------------------------------------------------

    def bulk_begin(self, processes: int | None) -> BulkWorkers | None:
        count = processes if processes is not None else os.cpu_count() or 1
        if count < 0:
            raise InvalidInput("processes must be 0 or more", field="processes")
        workers = None
        if count > 0 and embedder_for(self.embedder.name) is not None:
            workers = BulkWorkers(self._worker_settings(), count)
        with self._bulk_lock:
            self._bulk_loads += 1
        return workers

    def bulk_end(self, workers: BulkWorkers | None, *, failed: bool) -> None:
        with self._bulk_lock:
            self._bulk_loads -= 1
        if failed:
            if workers is not None:
                workers.stop()
            return
        if workers is not None:
            workers.finish()
        self.fill_vectors()  # what a failed worker left (none, usually)
        self.extract_queued()

    def _worker_settings(self) -> Settings:
        """What a worker process needs to open this store as this Memory has it."""
        return self.settings.model_copy(
            update={"embedder": embedder_for(self.embedder.name), "worker": False}
        )

    def defers(self) -> bool:
        """Whether a bulk load is running (its workers embed and extract)."""
        return self._bulk_loads > 0
