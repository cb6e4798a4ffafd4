"""Rows read back from either database are decoded by type: a value of the
wrong kind is a damaged store, named by its field, never a record that lies."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from memstrata import Memory, Settings
from memstrata.errors import StoreError
from memstrata.store import rows
from memstrata.testing import HashEmbedder
from memstrata.timeutil import from_us


def test_numbers_and_times_are_checked_and_converted() -> None:
    assert rows.integer(7) == 7 and rows.maybe_integer(None) is None
    assert rows.real(Decimal("0.25")) == 0.25 and rows.real(3) == 3.0
    assert rows.time(1_700_000_000_000_000) == from_us(1_700_000_000_000_000)
    assert rows.maybe_time(None) is None and rows.maybe_text(5) == "5"
    for bad in ("12", 1.5, True, None):
        with pytest.raises(StoreError, match="recalls needs an integer"):
            rows.integer(bad, "recalls")
    with pytest.raises(StoreError, match="importance needs a number"):
        rows.real("high", "importance")


def test_literal_fields_take_only_the_values_their_type_allows() -> None:
    assert rows.literal("short", rows.LAYERS, "layer") == "short"
    assert rows.LAYERS == ("working", "short", "long", "reflection")
    with pytest.raises(StoreError, match="'gossip' where kind needs one of fact, preference"):
        rows.literal("gossip", rows.NOTE_KINDS, "kind")


def test_a_damaged_note_kind_is_a_store_error_not_a_note(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    settings = Settings.load({}, path=str(path))
    with Memory(settings=settings, embedder=HashEmbedder(dimensions=16)) as memory:
        memory.add("I adopted a puppy named Biscuit last week.", speaker="Ana")
        assert memory.notes()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE notes SET kind = 'gossip'")
    reopened = Memory(settings=settings, embedder=HashEmbedder(dimensions=16))
    with reopened as memory, pytest.raises(StoreError, match="kind needs one of"):
        memory.notes()
