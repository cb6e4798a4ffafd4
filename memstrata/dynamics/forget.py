"""Which notes and summaries have faded below a threshold, and archiving them.

Archiving is reversible (``Memory.unarchive``) and never touches episodes,
facts or entities; ``purge()`` stays the only hard delete.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from memstrata.dynamics.strength import initial, retention
from memstrata.model import Forgotten, Note, Strength
from memstrata.store.base import Store

DEFAULT_THRESHOLD = 0.05


def note_states(
    store: Store,
    namespace: str,
    notes: Sequence[Note],
    stored: dict[str, Strength] | None = None,
) -> dict[str, Strength]:
    """Every note's strength: the stored one (``stored``: already read), or the
    one it started with."""
    if stored is None:
        ids = [n.id for n in notes]
        stored = store.dynamics.strengths(namespace, "note", ids if len(ids) < 500 else None)
    fresh = [n for n in notes if n.id not in stored]
    backed = store.dynamics.fact_episodes(namespace, [e for n in fresh for e in n.episode_ids])
    states = {n.id: initial(n, backs_fact=bool(backed & set(n.episode_ids))) for n in fresh}
    return {n.id: stored.get(n.id) or states[n.id] for n in notes}


def fading(
    store: Store, namespace: str, at: datetime, threshold: float
) -> list[tuple[Forgotten, Strength]]:
    """Live notes and summaries whose retention at ``at`` is below ``threshold``,
    weakest first, each with its state."""
    notes = store.structure.notes(namespace, limit=10**9, include_archived=False)
    states = note_states(store, namespace, notes)
    found = [_check(states[n.id], n.text, at, threshold) for n in notes]
    stored = store.dynamics.strengths(namespace, "summary")
    found += [
        _check(stored[s.id], s.title, at, threshold)
        for s in store.dynamics.summaries(namespace)
        if s.id in stored
    ]
    weak = [pair for pair in found if pair is not None]
    weak.sort(key=lambda pair: pair[0].retention)
    return weak


def _check(
    state: Strength, text: str, at: datetime, threshold: float
) -> tuple[Forgotten, Strength] | None:
    if state.is_archived or state.is_pinned:
        return None
    value = retention(state, at)
    if value >= threshold:
        return None
    days = (at - state.reinforced_at).total_seconds() / 86_400
    since = "last recalled" if state.recalls else "made"
    reason = (
        f"retention {value:.3f} < {threshold:g}: {state.layer}-term, "
        f"S {state.stability_days:.1f} d, {days:.0f} d since {since}"
    )
    return Forgotten(state.record_kind, state.record_id, text, state.layer, value, reason), state


def archive(
    store: Store, namespace: str, weak: Sequence[tuple[Forgotten, Strength]], at: datetime
) -> int:
    """Archive what ``fading`` found (each with its reason in the history)."""
    if not weak:
        return 0
    return store.dynamics.archive(
        namespace, [state for _, state in weak], [f.reason for f, _ in weak], at
    )
