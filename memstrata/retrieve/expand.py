"""Query expansion in word space: a question's content words, and the words the
embedder places nearest them ("instruments" -> violin, guitar; "pets" -> dog,
cat), as weighted BM25 terms.

A list question names a category; the turns that answer it name its members,
which share no term with it. Static word vectors (the default embedder's token
table) know which words belong together. Only expansions the namespace has
indexed are kept; proper nouns are not expanded (a name's neighbours are other
names, not the same person).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from memstrata.index.analyzer import STOP_WORDS, analyze

NEAR = 0.4  # cosine at which a word counts as near a question word
PER_WORD = 12  # nearest indexed terms kept per question word
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")


@dataclass(frozen=True, slots=True)
class WordSpace:
    """Whole words and their L2-normalised vectors."""

    words: tuple[str, ...]
    vectors: np.ndarray  # float32, len(words) x dims
    index: dict[str, int]

    @classmethod
    def of(cls, words: list[str], vectors: np.ndarray) -> WordSpace:
        matrix = np.asarray(vectors, dtype=np.float32)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        matrix = matrix / np.maximum(norms, 1e-12)
        return cls(tuple(words), matrix, {w: i for i, w in enumerate(words)})


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


def expand(space: WordSpace, text: str, indexed: Callable[[str], bool]) -> list[tuple[str, float]]:
    """(index term, weight) of the words near the question's content words that the
    namespace has indexed (the ``PER_WORD`` nearest of each), weighted by their
    cosine; the question's own terms excluded."""
    words = [w for w in content_words(text) if w in space.index]
    if not words:
        return []
    own = set(analyze(text))
    rows = space.vectors[[space.index[w] for w in words]]
    similarity = rows @ space.vectors.T
    weights: dict[str, float] = {}
    for scores in similarity:
        near = np.flatnonzero(scores >= NEAR)
        kept = 0
        for i in near[np.argsort(-scores[near])].tolist():  # nearest first
            for term in analyze(space.words[i]):
                if term in own or not indexed(term):
                    continue
                weights[term] = max(weights.get(term, 0.0), float(scores[i]))
                kept += 1
            if kept >= PER_WORD:
                break
    return sorted(weights.items(), key=lambda item: -item[1])
