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
    "short": 14.0,
    "long": 365.0,
    "reflection": 1095.0,  # summaries and the profile
}
IMPORTANCE_GAIN = 2.0
MIN_GAIN = 0.1
SPACING_GAIN = 1.0
PIN_FLOOR = 0.5
# A short-term note recalled this often, or said this often, or this important,
# becomes long-term.
PROMOTE_RECALLS = 3
PROMOTE_SOURCES = 3
PROMOTE_IMPORTANCE = 0.7
KIND_IMPORTANCE = {"preference": 0.6, "fact": 0.5, "plan": 0.4, "event": 0.4, "opinion": 0.2}
REPEAT_IMPORTANCE = 0.1  # per further episode that says the same thing
FACT_IMPORTANCE = 0.2  # said in an episode a (live) fact of the graph comes from
NAMED_IMPORTANCE = 0.1  # names someone or something (the note has tags)


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


def note_importance(note: Note, backs_fact: bool = False) -> float:
    """Importance of a note (0..1): its kind, plus how many more episodes say it,
    whether a fact of the graph comes from the same episode, and whether it names
    someone or something. Small talk ("that's great!") stays low; "Ana moved to
    Lyon", said twice, is high."""
    value = KIND_IMPORTANCE.get(note.kind, 0.4)
    value += REPEAT_IMPORTANCE * max(0, len(note.episode_ids) - 1)
    value += FACT_IMPORTANCE if backs_fact else 0.0
    value += NAMED_IMPORTANCE if note.tags else 0.0
    return min(1.0, value)


def initial(note: Note, layer: Layer = "short", backs_fact: bool = False) -> Strength:
    """The strength a note starts with, held from when memstrata made it."""
    importance = note_importance(note, backs_fact)
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
