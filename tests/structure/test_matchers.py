"""The embedding and LLM steps of the entity cascade."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from memstrata import Memory
from memstrata.resolve.matchers import EmbeddingNameMatcher, LlmNameMatcher
from memstrata.resolve.names import NameIndex
from memstrata.testing import ScriptedLLM

T = datetime(2023, 7, 1, tzinfo=UTC)
VECTORS = {
    "acme corp": [1.0, 0.0],
    "acme corporation": [0.97, 0.243],
    "globex": [0.0, 1.0],
    "anna": [1.0, 0.0],
    "hanna": [1.0, 0.0],
}


def fake_embed(names: Sequence[str]) -> np.ndarray:
    return np.array([VECTORS[n] for n in names], dtype=np.float32)


def known(*names: tuple[str, str, str]) -> NameIndex:
    index = NameIndex()
    for entity_id, norm, kind in names:
        index.add(entity_id, norm, kind)
    return index


def test_embedding_matcher_merges_close_names_of_things_not_people() -> None:
    matcher = EmbeddingNameMatcher(fake_embed)
    candidates = known(
        ("e1", "acme corp", "organization"),
        ("e2", "globex", "organization"),
        ("e3", "anna", "person"),
    )
    found = matcher.match("acme corporation", "organization", candidates)
    assert found is not None and found[0] == "e1" and "acme corp" in found[1]
    assert matcher.match("hanna", "person", candidates) is None
    assert matcher.match("acme corporation", "place", known(("e2", "globex", "place"))) is None


def test_embedding_matcher_compares_only_names_that_share_trigrams() -> None:
    asked: list[str] = []

    def embed(names: Sequence[str]) -> np.ndarray:
        asked.extend(names)
        return fake_embed(names)

    names = [(f"x{i}", f"zq{i:04d}", "organization") for i in range(2000)]
    candidates = known(*names, ("e1", "acme corp", "organization"))
    found = EmbeddingNameMatcher(embed).match("acme corporation", "organization", candidates)
    assert found is not None and found[0] == "e1"
    assert sorted(asked) == ["acme corp", "acme corporation"]  # not the 2,000 others


def test_llm_matcher_asks_about_borderline_spellings_only() -> None:
    candidates = known(("e1", "katarina", "person"), ("e2", "bob", "person"))
    llm = ScriptedLLM('{"same": true}')
    found = LlmNameMatcher(llm).match("katharina", "person", candidates)
    assert found is not None and found[0] == "e1" and "LLM" in found[1]
    assert len(llm.questions) == 1 and "katharina" in llm.questions[0]
    assert LlmNameMatcher(ScriptedLLM()).match("zed", "person", candidates) is None


def test_llm_matcher_needs_a_clear_yes_and_respects_its_budget() -> None:
    candidates = known(("e1", "katarina", "person"))
    assert (
        LlmNameMatcher(ScriptedLLM('{"same": false}')).match("katharina", "person", candidates)
        is None
    )
    assert LlmNameMatcher(ScriptedLLM("maybe?")).match("katharina", "person", candidates) is None
    silent = ScriptedLLM()
    assert LlmNameMatcher(silent, budget=0).match("katharina", "person", candidates) is None
    assert silent.questions == []


def test_default_embedder_merges_an_organization_spelled_out(tmp_path: Path) -> None:
    with Memory(tmp_path / "m.db") as memory:
        memory.add("I work at Acme Corp.", speaker="Ana", occurred_at=T)
        memory.add("I work at Acme Corporation, still.", speaker="Ana", occurred_at=T)
        (fact,) = memory.facts("Ana", "works_at")
        (acme,) = [e for e in memory.entities() if e.name == "Acme Corp"]
        assert acme.aliases == ("Acme Corporation",) and fact.object == "Acme Corp"
        (alias,) = [h for h in memory.history("entity", acme.id) if h.action == "alias"]
        assert "embeds like" in alias.reason
