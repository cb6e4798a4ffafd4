"""The recall side index of notes, facts and mentions, fed rows by hand."""

from __future__ import annotations

import numpy as np

from memstrata.index.structure import HUB_MIN, StructureIndex
from memstrata.store.base import RecallRow


def index_of(rows: list[RecallRow]) -> StructureIndex:
    index = StructureIndex(4, 1.5, 0.75)
    index.apply(rows, lambda seq: seq if seq < 1000 else None)  # seq == position here
    return index


def test_a_key_said_twice_points_at_both_episodes() -> None:
    index = index_of(
        [
            RecallRow(1, "note", "n1", "Ana is allergic to peanuts", "fact"),
            RecallRow(7, "note", "n1", "Ana is allergic to peanuts", "fact"),
            RecallRow(3, "fact", "f1", "Ana lives in Lyon", "lives_in"),
            RecallRow(5000, "note", "n9", "an episode not indexed yet", "fact"),
        ]
    )
    mask = np.ones(10, dtype=np.bool_)
    positions, _ = index.search_keys(["peanut"], 10, mask)
    assert sorted(positions.tolist()) == [1, 7]
    mask[7] = False
    positions, _ = index.search_keys(["peanut"], 10, mask)
    assert positions.tolist() == [1]
    assert index.search_keys(["indexed"], 10, np.ones(10, dtype=np.bool_))[0].tolist() == []


def test_names_dates_and_the_walk_leave_hubs_out() -> None:
    hub = [RecallRow(p, "entity", "e-ana", "Ana", "person") for p in range(HUB_MIN + 5)]
    rows = [
        *hub,
        RecallRow(1, "entity", "e-biscuit", "Biscuit", "pet"),
        RecallRow(9, "entity", "e-biscuit", "Biscuit", "pet"),
        RecallRow(9, "entity", "e-date", "2023-05-08", "date"),
    ]
    index = index_of(rows)
    (biscuit,) = index.entities_named(["biscuit", "chew"])
    assert index.entity_ids([biscuit]) == ["e-biscuit"]
    assert index.entities_named(["2023"]) == []  # dates are not named by words
    assert index.is_dated(np.array([1, 9, 500])).tolist() == [False, True, False]
    live = HUB_MIN + 10
    mask = np.ones(live, dtype=np.bool_)
    positions, scores = index.pagerank([biscuit], {}, live, mask, 10)
    assert sorted(positions.tolist()) == [1, 9] and (scores > 0).all()
    ana = index.entities_named(["ana"])
    assert index.pagerank(ana, {}, live, mask, 10)[0].tolist() == []  # a hub: no walk
    assert index.entity_ids_mentioned([9], live) == ["e-biscuit"]
