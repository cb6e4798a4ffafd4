"""The write path's extraction stage: queued episodes -> resolved structure.

Episodes are committed before this runs, so nothing here can lose one. A
batch that fails is retried episode by episode; an episode that still fails
stays queued (logged with its id) and is retried by the next ``flush()``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from memstrata.errors import AlreadyExtracted
from memstrata.extract.base import Extractor
from memstrata.model import Episode
from memstrata.resolve.matchers import NameMatcher
from memstrata.resolve.resolver import resolve
from memstrata.store.base import Store
from memstrata.timeutil import now
from memstrata.timing import StageTimings

log = logging.getLogger("memstrata")
BATCH = 500


def _process(
    store: Store,
    extractor: Extractor,
    namespace: str,
    episodes: Sequence[Episode],
    timings: StageTimings,
    matchers: Sequence[NameMatcher],
) -> None:
    with timings.stage("extract"):
        extraction = extractor.extract(episodes)
    with timings.stage("resolve"):
        changes = resolve(store.structure, namespace, extraction, now(), matchers)
    changes.extracted = [e.id for e in episodes]
    with timings.stage("store structure"):
        store.structure.apply(namespace, changes, extraction.source or extractor.name, now())


def extract_queued(
    store: Store,
    extractor: Extractor,
    namespace: str,
    timings: StageTimings | None = None,
    matchers: Sequence[NameMatcher] = (),
) -> int:
    """Extract every queued episode of a namespace; returns how many failed."""
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
            _process(
                store, extractor, namespace, [episode for _, episode in batch], timings, matchers
            )
            continue
        except AlreadyExtracted:  # another process stored them first: read the queue again
            continue
        except Exception:  # the episodes are safe; isolate the culprit below
            log.warning("extraction of a batch in %s failed; retrying one by one", namespace)
        for seq, episode in batch:
            try:
                _process(store, extractor, namespace, [episode], timings, matchers)
            except AlreadyExtracted:
                continue
            except Exception:  # the episode stays queued for flush()
                log.exception("extraction failed for episode %s; it stays queued", episode.id)
                failed.add(seq)
