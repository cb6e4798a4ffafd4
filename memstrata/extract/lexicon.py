"""Common English words, from the bundled model's tokenizer.

The WordPiece vocabulary that ships with the static model lists its whole
words roughly by how often they occur in English text (after the special
tokens and single characters). Its most frequent words are the common words
that a capital letter at a heading, a label or a title does not turn into a
name: "Any", "Best", "World", "Goals". Names that are also frequent words
("Paris", "John") are kept when the sentence says what they are ("in Paris",
"with John"); only a bare capitalised common word is dropped.
"""

from __future__ import annotations

import json
from functools import cache

from memstrata.providers.embed.static import MODEL_DIR

COMMON = 5000  # how many of the most frequent whole words count as common


@cache
def common_words(count: int = COMMON) -> frozenset[str]:
    """The ``count`` most frequent alphabetic whole words of the bundled vocabulary."""
    with open(MODEL_DIR / "tokenizer.json", encoding="utf-8") as source:
        vocabulary: dict[str, int] = json.load(source)["model"]["vocab"]
    ranked = sorted(vocabulary, key=vocabulary.__getitem__)
    words = [w for w in ranked if w.isalpha() and w.isascii() and len(w) > 1]
    return frozenset(words[:count])
