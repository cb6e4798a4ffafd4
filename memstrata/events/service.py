"""Segmentation of the sessions that changed, run before events are read.

Adding an episode marks its session (in the episode's own transaction);
``events()``, ``flush()`` (and later a background worker) segment the marked
sessions, so ``add()`` does not pay for it.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence

import numpy as np

from memstrata.events.segment import central, segment
from memstrata.extract.offline import sentences
from memstrata.model import Event
from memstrata.store.base import Store, Turn
from memstrata.timing import StageTimings

log = logging.getLogger("memstrata")
# Only the newest turns of a session are re-segmented; older events are sealed.
TAIL = 400
TITLE_CHARS = 80


def event_id(namespace: str, session_id: str | None, first_episode_id: str) -> str:
    """Stable while the event starts at the same episode."""
    key = f"{namespace}\x00{session_id}\x00{first_episode_id}"
    return hashlib.sha1(key.encode()).hexdigest()[:32]


def _vectors(turns: Sequence[Turn]) -> np.ndarray:
    dims = next((len(t.vector) // 4 for t in turns if t.vector), 1)
    rows = [
        np.frombuffer(t.vector, dtype=np.float32) if t.vector else np.zeros(dims, np.float32)
        for t in turns
    ]
    return np.stack(rows)


def _title(turns: Sequence[Turn], vectors: np.ndarray) -> str:
    text = turns[central(vectors)].text
    first = next(iter(sentences(text)), text)
    return first if len(first) <= TITLE_CHARS else first[: TITLE_CHARS - 1].rstrip() + "…"


def segment_session(store: Store, namespace: str, session_id: str | None, model: str) -> None:
    turns = store.events.session_tail(namespace, session_id, model, TAIL)
    if not turns:
        return
    vectors = _vectors(turns)
    ranges = segment(vectors, [t.occurred_at for t in turns])
    if len(turns) == TAIL and len(ranges) > 1:
        ranges = ranges[1:]  # the first may be cut by the window: leave it as it was
    events = []
    for start, end in ranges:
        part = turns[start:end]
        event = Event(
            id=event_id(namespace, session_id, part[0].episode_id),
            namespace=namespace,
            session_id=session_id,
            title=_title(part, vectors[start:end]),
            started_at=part[0].occurred_at,
            ended_at=part[-1].occurred_at,
            episode_ids=tuple(t.episode_id for t in part),
        )
        events.append((event, [t.seq for t in part]))
    covered = [t.seq for t in turns[ranges[0][0] :]]
    store.events.replace(namespace, covered, events)


def segment_dirty(store: Store, namespace: str, model: str, timings: StageTimings) -> None:
    """Segment the sessions changed since they were last segmented.

    A failure is logged and the session stays marked, to be tried again.
    """
    failed: list[str | None] = []
    for session_id in store.events.take_dirty(namespace):
        try:
            with timings.stage("segment"):
                segment_session(store, namespace, session_id, model)
        except Exception:  # events are derived: the episodes are safe, retry later
            log.exception("segmenting session %s of %s failed", session_id, namespace)
            failed.append(session_id)
    if failed:
        store.events.mark_dirty(namespace, failed)
