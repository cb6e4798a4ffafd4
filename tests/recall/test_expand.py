"""Query expansion in word space: category words find their members."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from memstrata import Memory
from memstrata.retrieve.expand import (
    PER_WORD,
    POSTINGS_BUDGET,
    WordSpace,
    content_words,
    expand,
)


def space() -> WordSpace:
    words = ["instruments", "violin", "guitar", "pizza", "melanie", "caroline", "play"]
    vectors = np.array(
        [
            [1.0, 0.0, 0.0, 0.0],
            [0.8, 0.6, 0.0, 0.0],  # cosine 0.8 with instruments
            [0.5, 0.0, 0.866, 0.0],  # 0.5
            [0.0, 1.0, 0.0, 0.0],  # 0
            [0.0, 0.0, 1.0, 0.0],
            [0.0, 0.1, 0.99, 0.0],  # near melanie
            [0.0, 0.0, 0.0, 1.0],
        ]
    )
    return WordSpace(words, vectors)


def test_content_words_leave_out_stop_words_and_proper_nouns() -> None:
    assert content_words("What instruments does Melanie play?") == ["instruments", "play"]
    assert content_words("Instruments? Which ones.") == ["instruments", "ones"]


def test_near_indexed_words_are_weighted_by_their_cosine() -> None:
    indexed = Counter({"violin": 3, "guitar": 1, "pizza": 2, "carolin": 5})
    found = dict(expand(space(), "What instruments does Melanie play?", indexed.__getitem__))
    assert found.keys() == {"violin", "guitar"}  # pizza is far; names are not expanded
    assert np.isclose(found["violin"], 0.8) and np.isclose(found["guitar"], 0.5, atol=1e-4)
    assert expand(space(), "What instruments does Melanie play?", lambda t: 0) == []
    own = dict(expand(space(), "the violin and instruments", indexed.__getitem__))
    assert "violin" not in own  # the question's own terms are BM25's, not expansions


def test_each_word_keeps_its_nearest_indexed_terms_only() -> None:
    rng = np.random.default_rng(0)
    base = rng.standard_normal(16)
    words = ["category"] + [f"member{chr(97 + i)}" for i in range(PER_WORD + 5)]
    vectors = [base] + [base + 0.1 * rng.standard_normal(16) for _ in words[1:]]
    near = WordSpace(words, np.array(vectors))
    found = expand(near, "which category", lambda t: 1)
    assert len(found) == PER_WORD
    assert [w for _, w in found] == sorted((w for _, w in found), reverse=True)


def test_expansions_reach_at_most_the_postings_budget_strongest_first() -> None:
    postings = Counter({"violin": POSTINGS_BUDGET - 10, "guitar": 20, "pizza": 1})
    found = dict(expand(space(), "Which instruments?", postings.__getitem__))
    assert found.keys() == {"violin"}  # guitar, weaker, no longer fits
    postings["violin"] = POSTINGS_BUDGET + 1  # alone over the budget: the next one fits
    found = dict(expand(space(), "Which instruments?", postings.__getitem__))
    assert found.keys() == {"guitar"}


def test_the_default_embedder_finds_members_of_a_category(default_memory_path: Path) -> None:
    with Memory(default_memory_path, namespace="expand") as mem:
        (violin,) = mem.add([{"content": "I practised the violin for an hour.", "speaker": "Ana"}])
        mem.add(
            [
                {"content": "We ordered pizza after the match.", "speaker": "Ana"},
                {"content": "The train to Lyon was late again.", "speaker": "Bo"},
            ]
        )
        hits = mem.search("What instruments does Ana play?", retrievers=["expand"])
        assert [h.id for h in hits] == [violin.id]
        assert mem.search("What instruments does Ana play?")[0].id == violin.id
