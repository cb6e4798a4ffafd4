"""Query expansion in word space: a question's content words, and the words the
embedder places nearest them ("instruments" -> violin, guitar; "pets" -> dog,
cat), as weighted BM25 terms.

A list question names a category; the turns that answer it name its members,
which share no term with it. Static word vectors (the bundled static model's token
table, which e5 uses too) know which words belong together. Only expansions the namespace has
indexed are kept; proper nouns are not expanded (a name's neighbours are other
names, not the same person). In a large namespace a near word may be in a
large share of it ("day" near "week"): the expansions, strongest first,
reach at most POSTINGS_BUDGET documents together, so the expansion retriever
costs about as much at a million episodes as at ten thousand.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache

import numpy as np

from memstrata.index import analyzer
from memstrata.index.analyzer import STOP_WORDS

NEAR = 0.4  # cosine at which a word counts as near a question word
PER_WORD = 12  # nearest indexed terms kept per question word
NEIGHBOURS_CACHED = 4096  # words whose neighbours are remembered
POSTINGS_BUDGET = 100_000  # documents the expansions of one question reach together
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")


class WordSpace:
    """Whole words, their L2-normalised vectors and index terms; each word's
    near neighbours are computed once and remembered (a question's words
    recur, and a pass over the table reads every vector)."""

    def __init__(self, words: Sequence[str], vectors: np.ndarray) -> None:
        matrix = np.asarray(vectors, dtype=np.float32)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        self.vectors = matrix / np.maximum(norms, 1e-12)
        self.index = {w: i for i, w in enumerate(words)}
        self._words = list(words)
        self.neighbours = lru_cache(maxsize=NEIGHBOURS_CACHED)(self._neighbours)

    def _neighbours(self, word: str) -> tuple[tuple[tuple[str, ...], float], ...]:
        """(index terms, cosine) of the words at least NEAR to ``word``, nearest first."""
        scores = self.vectors @ self.vectors[self.index[word]]
        near = np.flatnonzero(scores >= NEAR)
        order = near[np.argsort(-scores[near], kind="stable")]
        words = self._words
        return tuple((tuple(analyzer.terms(words[i])), float(scores[i])) for i in order.tolist())


def content_words(text: str) -> list[str]:
    """The question's lowercase content words, proper nouns (capitalised other
    than first in the sentence) left out."""
    out = []
    for match in _WORD.finditer(text):
        word = match.group()
        before = text[: match.start()].rstrip()
        starts_sentence = not before or before[-1] in ".?!"
        if word[0].isupper() and not starts_sentence:
            continue
        lower = word.lower()
        if lower not in STOP_WORDS and len(lower) > 2:
            out.append(lower)
    return list(dict.fromkeys(out))


def expand(space: WordSpace, text: str, postings: Callable[[str], int]) -> list[tuple[str, float]]:
    """(index term, weight) of the words near the question's content words that the
    namespace has indexed (the ``PER_WORD`` nearest of each), weighted by their
    cosine, strongest first, within POSTINGS_BUDGET; the question's own terms
    excluded. ``postings(term)``: the documents indexed with it (0: none)."""
    words = [w for w in content_words(text) if w in space.index]
    if not words:
        return []
    own = set(analyzer.terms(text))
    weights: dict[str, float] = {}
    for word in words:
        kept = 0
        for terms, score in space.neighbours(word):
            for term in terms:
                if term in own or not postings(term):
                    continue
                weights[term] = max(weights.get(term, 0.0), score)
                kept += 1
            if kept >= PER_WORD:
                break
    kept_terms, spent = [], 0
    for term, weight in sorted(weights.items(), key=lambda item: -item[1]):
        cost = postings(term)
        if spent + cost <= POSTINGS_BUDGET:
            kept_terms.append((term, weight))
            spent += cost
    return kept_terms
