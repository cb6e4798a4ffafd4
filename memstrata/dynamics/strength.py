"""The forgetting curve: retention = exp(−Δt / S), with S grown by importance,
layer and recall.

S (stability, in days) starts at the layer's half-life over ln 2, times
``1 + IMPORTANCE_GAIN × importance``: a more important memory decays more
slowly. Each recall multiplies S by ``1 + MIN_GAIN + SPACING_GAIN × (1 − r)``
where r is the retention at the moment of recall (a memory recalled when
nearly forgotten gains the most: the spacing effect) and restarts Δt. A pinned
memory never falls below PIN_FLOOR. Pure functions over ``Strength`` records.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import datetime

from memstrata.model import Layer, Note, Strength

DAY_S = 86_400.0
HALF_LIFE_DAYS: dict[Layer, float] = {
    "working": 1 / 24,  # an hour: the detail of a step in progress
    "short": 7.0,
    "long": 180.0,
    "reflection": 730.0,  # summaries and the profile
}
IMPORTANCE_GAIN = 2.0
MIN_GAIN = 0.1
SPACING_GAIN = 1.0
PIN_FLOOR = 0.5
# A short-term note recalled this often, or said this often, or this important,
# becomes long-term.
PROMOTE_RECALLS = 3
PROMOTE_SOURCES = 3
PROMOTE_IMPORTANCE = 0.8
KIND_IMPORTANCE = {"preference": 0.6, "plan": 0.5, "fact": 0.5, "event": 0.4, "opinion": 0.3}
REPEAT_IMPORTANCE = 0.1  # per further episode that says the same thing


def base_stability(layer: Layer, importance: float) -> float:
    """S in days for a memory of ``layer`` and ``importance`` (0..1) never recalled."""
    return HALF_LIFE_DAYS[layer] / math.log(2) * (1 + IMPORTANCE_GAIN * importance)


def retention(state: Strength, at: datetime) -> float:
    """exp(−Δt / S) at ``at`` (1.0 before ``reinforced_at``), floored when pinned."""
    elapsed_days = max(0.0, (at - state.reinforced_at).total_seconds() / DAY_S)
    value = math.exp(-elapsed_days / state.stability_days)
    return max(value, PIN_FLOOR) if state.is_pinned else value


def reinforce(state: Strength, at: datetime) -> Strength:
    """The state after a recall at ``at``: S grows (most when nearly forgotten), Δt restarts."""
    if at <= state.reinforced_at:
        return replace(state, recalls=state.recalls + 1)
    held = retention(replace(state, is_pinned=False), at)
    grown = state.stability_days * (1 + MIN_GAIN + SPACING_GAIN * (1 - held))
    return replace(state, stability_days=grown, reinforced_at=at, recalls=state.recalls + 1)


def note_importance(note: Note) -> float:
    """Importance of a note from its kind and how many episodes say it (0..1)."""
    base = KIND_IMPORTANCE.get(note.kind, 0.4)
    return min(1.0, base + REPEAT_IMPORTANCE * (len(note.episode_ids) - 1))


def initial(note: Note, layer: Layer = "short") -> Strength:
    """The strength a note starts with, held from when memstrata made it."""
    importance = note_importance(note)
    return Strength(
        record_kind="note",
        record_id=note.id,
        namespace=note.namespace,
        layer=layer,
        importance=importance,
        stability_days=base_stability(layer, importance),
        reinforced_at=note.created_at,
    )


def promoted(state: Strength, sources: int) -> Strength | None:
    """The state one layer up when the promotion rules say so, else None.

    working → short once its subgoal is closed (done by working memory);
    short → long when recalled PROMOTE_RECALLS times, said in PROMOTE_SOURCES
    episodes, or of importance PROMOTE_IMPORTANCE. S never shrinks."""
    if state.layer != "short" or state.is_archived:
        return None
    if (
        state.recalls < PROMOTE_RECALLS
        and sources < PROMOTE_SOURCES
        and state.importance < PROMOTE_IMPORTANCE
    ):
        return None
    grown = max(state.stability_days, base_stability("long", state.importance))
    return replace(state, layer="long", stability_days=grown)
