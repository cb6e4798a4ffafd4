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
