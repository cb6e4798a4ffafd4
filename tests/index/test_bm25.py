"""Batch indexing builds the very postings that one-by-one indexing does."""

from __future__ import annotations

import random

import numpy as np

from memstrata.index.bm25 import Bm25Index


def test_adding_a_batch_builds_the_same_postings_as_one_by_one() -> None:
    rng = random.Random(3)
    words = [f"w{i}" for i in range(40)]
    docs = [[rng.choice(words) for _ in range(rng.randint(0, 12))] for _ in range(300)]
    single, batch = Bm25Index(), Bm25Index()
    for position, terms in enumerate(docs[:50]):
        single.add(position, terms)
        batch.add(position, terms)  # a batch may follow single adds
    for position, terms in enumerate(docs[50:], start=50):
        single.add(position, terms)
    batch.add_many(50, docs[50:])
    batch.add_many(len(docs), [[], []])  # a batch of empty documents
    single.add(len(docs), [])
    single.add(len(docs) + 1, [])
    mask = np.ones(len(docs) + 2, dtype=np.bool_)
    for query in (["w1"], ["w2", "w3", "w39"], ["w0", "nothing"], words[:20]):
        a, b = single.search(query, 25, mask), batch.search(query, 25, mask)
        assert a[0].tolist() == b[0].tolist() and np.allclose(a[1], b[1])


def test_pruned_search_scores_exactly_like_the_full_search() -> None:
    """Common terms looked up only at the documents the rare ones reach give the
    very float32 scores, and order, of scoring every posting."""
    rng = random.Random(5)
    rare = [f"r{i}" for i in range(30)]
    docs = [
        ["common"] * rng.randint(1, 3)
        + ["often"] * rng.randint(0, 2)
        + [rng.choice(rare) for _ in range(rng.randint(0, 3))]
        for _ in range(2_000)
    ]
    index = Bm25Index()
    index.add_many(0, docs)
    mask = np.ones(len(docs), dtype=np.bool_)
    mask[::9] = False
    for query in (["common", "r1"], ["r2", "often", "common", "r3"], ["often", "r4"]):
        top, top_scores = index.search(query, 5, mask)
        every, every_scores = index.search(query, len(docs), mask)
        assert top.tolist() == every[:5].tolist()
        assert top_scores.tolist() == every_scores[:5].tolist()
