"""The forgetting curve's shape, pinned: retention = exp(−Δt / S)."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from memstrata.dynamics.strength import (
    HALF_LIFE_DAYS,
    PIN_FLOOR,
    base_stability,
    initial,
    promoted,
    reinforce,
    retention,
)
from memstrata.model import Layer, Note, Strength
from tests.conftest import T0


def state(importance: float = 0.5, layer: Layer = "short", **changes: object) -> Strength:
    base = Strength("note", "n1", "ns", layer, importance, base_stability(layer, importance), T0)
    return replace(base, **changes)  # type: ignore[arg-type]


def test_an_unimportant_memory_keeps_half_at_its_layers_half_life() -> None:
    for layer, days in HALF_LIFE_DAYS.items():
        held = retention(state(0.0, layer), T0 + timedelta(days=days))
        assert math.isclose(held, 0.5, rel_tol=1e-9), layer


@given(st.floats(0, 1), st.floats(0, 1), st.floats(0.01, 400))
def test_a_stronger_memory_decays_more_slowly(low: float, high: float, days: float) -> None:
    weak, strong = state(min(low, high)), state(max(low, high))
    at = T0 + timedelta(days=days)
    assert strong.stability_days >= weak.stability_days
    assert retention(strong, at) >= retention(weak, at)
    if abs(high - low) > 1e-6:
        assert retention(strong, at) > retention(weak, at)


def test_retention_falls_with_time_and_is_whole_at_first() -> None:
    s = state()
    values = [retention(s, T0 + timedelta(days=d)) for d in (0, 1, 7, 30, 365)]
    assert values[0] == 1.0 and values == sorted(values, reverse=True) and values[-1] < 1e-3


def test_recall_raises_stability_and_restarts_the_clock() -> None:
    s = state()
    later = T0 + timedelta(days=10)
    after = reinforce(s, later)
    assert after.stability_days > s.stability_days and after.recalls == 1
    assert after.reinforced_at == later and retention(after, later) == 1.0
    assert retention(after, later + timedelta(days=5)) > retention(s, later + timedelta(days=5))


def test_recall_when_nearly_forgotten_gains_more_than_at_once() -> None:
    s = state()
    soon = reinforce(s, T0 + timedelta(hours=1))
    late = reinforce(s, T0 + timedelta(days=60))
    assert late.stability_days > soon.stability_days > s.stability_days


def test_a_pinned_memory_never_falls_below_the_floor() -> None:
    pinned = state(is_pinned=True)
    for days in (1, 100, 10_000):
        assert retention(pinned, T0 + timedelta(days=days)) >= PIN_FLOOR
    assert retention(state(), T0 + timedelta(days=10_000)) < PIN_FLOOR


def test_layers_order_how_long_memories_last() -> None:
    at = T0 + timedelta(days=3)
    held = [
        retention(state(0.5, layer), at) for layer in ("working", "short", "long", "reflection")
    ]
    assert held == sorted(held) and held[0] < held[-1]


def test_promotion_rules_and_stability_never_shrinks() -> None:
    assert promoted(state(0.5), sources=1) is None
    for moved in (
        promoted(state(0.5, recalls=3), sources=1),
        promoted(state(0.5), sources=3),
        promoted(state(0.9), sources=1),
    ):
        assert moved is not None and moved.layer == "long"
        assert moved.stability_days >= base_stability("long", moved.importance)
    huge = state(0.9, stability_days=10_000.0)
    up = promoted(huge, sources=1)
    assert up is not None and up.stability_days == 10_000.0
    assert promoted(state(0.9, layer="long"), sources=9) is None
    assert promoted(state(0.9, archived_at=T0), sources=9) is None


def test_a_note_said_again_starts_more_important() -> None:
    once = Note("a", "ns", "fact", "x", (), None, T0, T0, ("e1",))
    thrice = replace(once, episode_ids=("e1", "e2", "e3"))
    assert initial(thrice).importance > initial(once).importance
    assert initial(once).reinforced_at == T0 and initial(once).layer == "short"
