"""Analyzer, BM25, dense search and fusion against straightforward references."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from memstrata.bench.baselines import fuse_rrf
from memstrata.index import analyzer
from memstrata.index.bm25 import Bm25Index, top_k
from memstrata.index.columns import Column
from memstrata.index.vectors import VectorIndex

VOCAB = ["tea", "coffee", "lyon", "paris", "run", "bake", "cat", "dog"]
docs_strategy = st.lists(
    st.lists(st.sampled_from(VOCAB), min_size=1, max_size=12), min_size=1, max_size=40
)


def reference_bm25(docs: list[list[str]], query: list[str], k1: float, b: float) -> list[float]:
    n = len(docs)
    avg = sum(len(d) for d in docs) / n
    scores = []
    for doc in docs:
        tf = Counter(doc)
        score = 0.0
        for term in dict.fromkeys(query):
            df = sum(1 for d in docs if term in d)
            if not df or not tf[term]:
                continue
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            score += idf * tf[term] * (k1 + 1) / (tf[term] + k1 * (1 - b + b * len(doc) / avg))
        scores.append(score)
    return scores


def test_analyzer_lowercases_stems_and_drops_stop_words() -> None:
    assert analyzer.terms("I moved to Lyon in May!") == ["move", "lyon", "may"]
    assert analyzer.terms("Running RUNS runner") == ["run", "run", "runner"]
    assert analyzer.terms("the and of a") == []
    assert analyzer.terms("東京 café 42") == ["東京", "café", "42"]


@settings(max_examples=60, deadline=None)
@given(
    docs=docs_strategy, query=st.lists(st.sampled_from([*VOCAB, "absent"]), min_size=1, max_size=4)
)
def test_bm25_matches_the_formula(docs: list[list[str]], query: list[str]) -> None:
    index = Bm25Index(k1=1.5, b=0.75)
    for position, doc in enumerate(docs):
        index.add(position, doc)
    positions, scores = index.search(query, len(docs), np.ones(len(docs), dtype=bool))
    expected = reference_bm25(docs, query, 1.5, 0.75)
    assert {
        int(p): pytest.approx(float(s), rel=1e-4) for p, s in zip(positions, scores, strict=True)
    } == {i: pytest.approx(s, rel=1e-4) for i, s in enumerate(expected) if s > 0}


@settings(max_examples=80, deadline=None)
@given(
    docs=st.lists(
        st.lists(st.sampled_from(VOCAB), min_size=1, max_size=12), min_size=30, max_size=120
    ),
    query=st.lists(st.sampled_from(VOCAB), min_size=1, max_size=4),
    k=st.integers(1, 5),
)
def test_bm25_top_k_with_pruning_matches_the_formula(
    docs: list[list[str]], query: list[str], k: int
) -> None:
    index = Bm25Index()
    for position, doc in enumerate(docs):
        index.add(position, doc)
    mask = np.ones(len(docs), dtype=bool)
    mask[::7] = False
    positions, scores = index.search(query, k, mask)
    expected = reference_bm25(docs, query, 1.5, 0.75)
    allowed = sorted((s for i, s in enumerate(expected) if s > 0 and mask[i]), reverse=True)
    assert scores.tolist() == pytest.approx(allowed[:k], rel=1e-4)
    for position, score in zip(positions.tolist(), scores.tolist(), strict=True):
        assert mask[position] and expected[position] == pytest.approx(score, rel=1e-4)


def test_bm25_pruning_ranks_rare_term_documents_first() -> None:
    index = Bm25Index()
    docs = [["tea"] * 3 for _ in range(200)] + [["tea", "lyon"], ["lyon"], ["lyon", "cat"]]
    for position, doc in enumerate(docs):
        index.add(position, doc)
    positions, _ = index.search(["tea", "lyon"], 2, np.ones(len(docs), dtype=bool))
    assert sorted(positions.tolist()) == [200, 201]


def test_bm25_mask_and_live_statistics() -> None:
    index = Bm25Index()
    for position, doc in enumerate([["tea"], ["tea", "cat"], ["dog"]]):
        index.add(position, doc)
    mask = np.array([True, False, True])
    positions, _ = index.search(["tea"], 10, mask)
    assert positions.tolist() == [0]
    index.set_live(1, False)
    index.set_live(1, True)
    positions, _ = index.search(["tea"], 10, np.ones(3, dtype=bool))
    assert sorted(positions.tolist()) == [0, 1]


def test_top_k_orders_by_score_then_position() -> None:
    positions, scores = top_k(np.array([5, 3, 9, 1]), np.array([0.5, 0.9, 0.5, 0.1]), 3)
    assert positions.tolist() == [3, 5, 9] and scores.tolist() == [0.9, 0.5, 0.5]


def test_dense_search_is_exact_and_respects_masks() -> None:
    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((300, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = VectorIndex(8)
    for position, v in enumerate(vectors):
        index.set(position, v)
    query = vectors[17]
    positions, _ = index.search(query, 5, np.ones(300, dtype=bool))
    assert positions.tolist() == np.argsort(-(vectors @ query))[:5].tolist()
    sparse = np.zeros(300, dtype=bool)
    sparse[[1, 2, 3]] = True
    positions, _ = index.search(query, 5, sparse)
    assert sorted(positions.tolist()) == [1, 2, 3]
    index.clear(17)
    positions, _ = index.search(query, 1, np.ones(300, dtype=bool))
    assert positions.tolist() != [17] and index.count == 299


def test_column_grows_and_keeps_values() -> None:
    column = Column(np.int64)
    for i in range(1000):
        column.append(i)
    column.extend_to(1005)
    assert column.view()[:1000].tolist() == list(range(1000)) and column.size == 1005


def test_rrf_weights_and_ranks() -> None:
    fused = fuse_rrf({"bm25": ["a", "b"], "dense": ["b", "c"]}, {"bm25": 1.0, "dense": 0.5}, k=60)
    assert [s.key for s in fused] == ["b", "a", "c"]
    assert fused[0].ranks == {"bm25": 2, "dense": 1}
    assert fused[0].score == pytest.approx(1 / 62 + 0.5 / 61)
