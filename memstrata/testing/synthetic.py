"""Seeded synthetic chat-like episodes for the scale benchmark.

Words follow a Zipf(1.07) law over a 20,000-word vocabulary: a few hundred
common English content words at the head, pronounceable made-up words in the
tail, so term statistics resemble chat logs rather than uniform noise.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import numpy as np

_HEAD = """
time day week year today yesterday tomorrow night morning weekend friend family mom dad sister
brother kid dog cat house home city trip travel job work boss office project meeting school
class book movie music song game team sport run gym food dinner lunch coffee pizza cook recipe
garden paint art photo picture camera phone car bike beach mountain lake park river walk hike
camp concert festival party birthday wedding holiday gift love happy sad tired excited busy
start finish plan idea think feel know want need like enjoy try learn teach help call visit
move live stay leave meet talk read write watch play listen drive fly buy sell sign join
support group community volunteer charity church health doctor hospital sleep stress relax
yoga dance guitar piano drum class course degree exam study research career interview promotion
money rent apartment neighbor roommate partner husband wife baby pregnant adopt puppy kitten
vacation flight hotel museum gallery theater show series episode season novel author poem
""".split()
_SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in ("a", "e", "i", "o", "u", "ai", "ou")]


def vocabulary(size: int = 20_000, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    words = list(dict.fromkeys(_HEAD))
    seen = set(words)
    while len(words) < size:
        word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


class ChatGenerator:
    def __init__(self, seed: int = 11, vocab_size: int = 20_000) -> None:
        self.words = vocabulary(vocab_size)
        ranks = np.arange(1, len(self.words) + 1, dtype=np.float64)
        weights = ranks**-1.07
        self._cdf = np.cumsum(weights / weights.sum())
        self._rng = np.random.default_rng(seed)
        self._start = datetime(2023, 1, 1, tzinfo=UTC)

    def _sentence(self, length: int) -> str:
        picks = np.searchsorted(self._cdf, self._rng.random(length))
        return " ".join(self.words[min(i, len(self.words) - 1)] for i in picks)

    def messages(self, start: int, count: int) -> list[dict[str, object]]:
        """Messages start..start+count: 12-28 words, two speakers, 40-turn sessions."""
        out: list[dict[str, object]] = []
        for i in range(start, start + count):
            length = int(self._rng.integers(12, 29))
            out.append(
                {
                    "content": self._sentence(length).capitalize() + ".",
                    "speaker": "Alex" if i % 2 else "Sam",
                    "session_id": f"s{i // 40}",
                    "occurred_at": self._start + timedelta(minutes=i),
                }
            )
        return out

    def queries(self, count: int) -> list[str]:
        """Three to five words drawn from the same distribution (an OR query)."""
        return [self._sentence(int(self._rng.integers(3, 6))) for _ in range(count)]
