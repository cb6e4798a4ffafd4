"""Two processes extracting the same queued episodes: the second finds them gone
and writes nothing, so no note, fact or entity is stored twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from memstrata import Memory, Settings
from memstrata.errors import AlreadyExtracted
from memstrata.extract.offline import OfflineExtractor
from memstrata.extract.pipeline import extract_queued
from memstrata.resolve.resolver import resolve
from memstrata.testing import HashEmbedder
from memstrata.timeutil import now


def test_a_resolution_whose_episodes_were_extracted_meanwhile_is_dropped(tmp_path: Path) -> None:
    settings = Settings.load({}, path=str(tmp_path / "m.db"), extractor="none")
    with Memory(settings=settings, embedder=HashEmbedder()) as memory:
        episodes = memory.add(
            ["I moved to Lyon with my sister Maya.", "I love pottery and hiking."], speaker="Ana"
        )
        store, ns = memory.store, memory.settings.namespace
        extraction = OfflineExtractor().extract(episodes)
        first = resolve(store.structure, ns, extraction, now(), [])
        second = resolve(store.structure, ns, extraction, now(), [])  # both saw the same store
        first.extracted = second.extracted = [e.id for e in episodes]
        store.structure.apply(ns, first, "offline", now())
        notes, facts = len(memory.notes()), len(memory.facts())
        with pytest.raises(AlreadyExtracted):
            store.structure.apply(ns, second, "offline", now())
        assert (len(memory.notes()), len(memory.facts())) == (notes, facts) and notes and facts
        assert extract_queued(store, OfflineExtractor(), ns) == 0  # nothing left, nothing failed
