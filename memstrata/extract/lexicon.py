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

# Capitalised words that start sentences but name nobody.
NOT_NAMES = frozenset(
    """
    I I'm I've I'd I'll We We're You He She They It It's That This These Those There Here
    The A An My Our Your His Her Their Its Yesterday Today Tomorrow Tonight Then So Well Also
    And But Or Oh Yes No Yeah Yep Nope Actually Now Last Next Since After Before When While
    Finally Recently Anyway Hey Hi Hello Wow Honestly Plus Because If What Who Where Why How
    Thanks Thank Sure Okay Ok OK Great Good Nice Cool Awesome Sorry Please Maybe Just Still
    Lol Haha Congrats Congratulations Absolutely Definitely Totally Really Anyways Sounds
    In On At For From With By To Of As Into About Did Does Do Was Were Is Are Has Have Had
    Can Could Would Should Will Shall Might Must Any Some Every Each Many Most More Other
    Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May
    June July August September October November December Christmas Easter Halloween
    Valentine Thanksgiving
""".split()
)


@cache
def common_words(count: int = COMMON) -> frozenset[str]:
    """The ``count`` most frequent alphabetic whole words of the bundled vocabulary."""
    with open(MODEL_DIR / "tokenizer.json", encoding="utf-8") as source:
        vocabulary: dict[str, int] = json.load(source)["model"]["vocab"]
    ranked = sorted(vocabulary, key=vocabulary.__getitem__)
    words = [w for w in ranked if w.isalpha() and w.isascii() and len(w) > 1]
    return frozenset(words[:count])
