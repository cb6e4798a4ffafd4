"""The write path's extraction stage: queued episodes -> resolved structure.

Episodes are committed before this runs, so nothing here can lose one. A
batch that fails is retried episode by episode; an episode that still fails
stays queued (logged with its id) and is retried by the next ``flush()``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from memstrata.errors import AlreadyExtracted
from memstrata.extract.base import Extractor
from memstrata.model import Episode
from memstrata.resolve.entities import load_names
from memstrata.resolve.matchers import NameMatcher
from memstrata.resolve.names import NameCache, NameIndex
from memstrata.resolve.resolver import resolve
from memstrata.store.base import ChangeSet, Store
from memstrata.timeutil import now
from memstrata.timing import StageTimings

log = logging.getLogger("memstrata")
BATCH = 500
# Names created by another process up to this long before the last read are
# read again (their transactions may have committed after it).
SYNC_MARGIN = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class KeyEmbedding:
    """The embedder that gives new notes and facts their stored key vectors
    (``embed`` returns None when the provider fails: the keys are then embedded
    when a search first needs them)."""

    model: str
    embed: Callable[[Sequence[str]], np.ndarray | None]


def embed_keys(changes: ChangeSet, keys: KeyEmbedding) -> None:
    """Vectors for the texts of the notes and facts a resolution pass makes."""
    records = [(n.id, n.text) for n, _ in changes.notes] + [
        (f.id, f.statement) for f in changes.facts
    ]
    if not records:
        return
    vectors = keys.embed([text for _, text in records])
    if vectors is None:
        return
    changes.key_model = keys.model
    changes.key_vectors = {
        record_id: vectors[i].astype(np.float32).tobytes()
        for i, (record_id, _) in enumerate(records)
    }


def known_names(store: Store, namespace: str, cache: NameCache | None) -> NameIndex:
    """The namespace's known entity names: the cached index, caught up with the
    entities created since it was last read, or every stored name."""
    started = now()
    names = None if cache is None else cache.get(namespace)
    if names is None or names.synced_at is None:
        names = load_names(store.structure, namespace, NameIndex(), None)
        if cache is not None:
            cache.put(namespace, names)
    else:
        with names.lock:
            load_names(store.structure, namespace, names, names.synced_at - SYNC_MARGIN)
    names.synced_at = started
    return names


def _process(
    store: Store,
    extractor: Extractor,
    namespace: str,
    episodes: Sequence[Episode],
    timings: StageTimings,
    matchers: Sequence[NameMatcher],
    cache: NameCache | None,
    keys: KeyEmbedding | None,
) -> None:
    with timings.stage("extract"):
        extraction = extractor.extract(episodes)
    names = known_names(store, namespace, cache)
    with names.lock:
        try:
            with timings.stage("resolve"):
                changes = resolve(
                    store.structure, namespace, extraction, now(), matchers, names, store.episodes
                )
            if keys is not None:
                with timings.stage("embed keys"):
                    embed_keys(changes, keys)
            changes.extracted = [e.id for e in episodes]
            with timings.stage("store structure"):
                source = extraction.source or extractor.name
                store.structure.apply(namespace, changes, source, now())
        except BaseException:  # the names resolution added were not stored: read them anew
            if cache is not None:
                cache.drop(namespace)
            raise


def extract_queued(
    store: Store,
    extractor: Extractor,
    namespace: str,
    timings: StageTimings | None = None,
    matchers: Sequence[NameMatcher] = (),
    cache: NameCache | None = None,
    keys: KeyEmbedding | None = None,
    failures: set[str] | None = None,
) -> int:
    """Extract every queued episode of a namespace; returns how many failed.
    ``failures`` gathers the ids of episodes whose extraction failed (they stay
    queued) and loses those that later succeed."""
    failures = set() if failures is None else failures
    timings = timings or StageTimings()
    failed: set[int] = set()
    while True:
        seqs = [
            s for s in store.structure.queued(namespace, BATCH + len(failed)) if s not in failed
        ][:BATCH]
        rows = store.episodes.by_seq(namespace, seqs)
        batch = [(seq, rows[seq][0]) for seq in seqs if seq in rows]
        if not batch:
            return len(failed)
        try:
            episodes = [episode for _, episode in batch]
            _process(store, extractor, namespace, episodes, timings, matchers, cache, keys)
            failures.difference_update(e.id for e in episodes)
            continue
        except AlreadyExtracted:  # another process stored them first: read the queue again
            continue
        except Exception:  # the episodes are safe; isolate the culprit below
            log.warning(
                "extraction of a batch in %s failed; retrying one by one", namespace, exc_info=True
            )
        for seq, episode in batch:
            try:
                _process(store, extractor, namespace, [episode], timings, matchers, cache, keys)
                failures.discard(episode.id)
            except AlreadyExtracted:
                continue
            except Exception:  # the episode stays queued for flush()
                log.exception("extraction failed for episode %s; it stays queued", episode.id)
                failed.add(seq)
                failures.add(episode.id)
