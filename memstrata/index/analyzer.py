"""The lexical analyzer: lowercase, word tokens, English stop words, Snowball stems.

The same analyzer feeds the BM25 index and the queries, so a query matches the
forms it was indexed under ("moved" and "moving" both become "move").
"""

from __future__ import annotations

import re
from functools import lru_cache

import Stemmer

# Tokens of two or more word characters, as scikit-learn and bm25s split text.
_TOKEN = re.compile(r"(?u)\b\w\w+\b")

STOP_WORDS: frozenset[str] = frozenset(
    """
    a about above after again against all am an and any are aren't as at be because been
    before being below between both but by can cannot could couldn't did didn't do does
    doesn't doing don't down during each few for from further had hadn't has hasn't have
    haven't having he he'd he'll he's her here here's hers herself him himself his how
    how's i i'd i'll i'm i've if in into is isn't it it's its itself let's me more most
    mustn't my myself no nor not of off on once only or other ought our ours ourselves
    out over own same shan't she she'd she'll she's should shouldn't so some such than
    that that's the their theirs them themselves then there there's these they they'd
    they'll they're they've this those through to too under until up very was wasn't we
    we'd we'll we're we've were weren't what what's when when's where where's which while
    who who's whom why why's with won't would wouldn't you you'd you'll you're you've
    your yours yourself yourselves also just will s t don ll re ve d m
    """.split()
)


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    stemmer = Stemmer.Stemmer("english")
    stemmer.maxCacheSize = 200_000
    return stemmer


def terms(text: str) -> list[str]:
    """Index terms of a text, in order, stop words removed.

    >>> terms("I moved to Lyon in May!")
    ['move', 'lyon', 'may']
    """
    words = [w for w in _TOKEN.findall(text.lower()) if w not in STOP_WORDS]
    stems: list[str] = _stemmer().stemWords(words)
    return stems
