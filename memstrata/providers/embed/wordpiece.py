"""A memoised BERT WordPiece tokenizer for ASCII text.

Chat turns repeat the same few thousand words, so splitting each distinct word
into pieces once and looking the rest up is several times faster than the Rust
tokenizer on long assistant replies, with the same ids. It covers exactly the
BERT pipeline (BertNormalizer with lowercasing, BertPreTokenizer, WordPiece)
and declines, returning None, for any other tokenizer, for text that is not
plain ASCII, for text with control characters (which BERT deletes rather than
splits on) and for text holding a special token's name ("[CLS]"); the caller
then uses the model's own tokenizer.
"""

from __future__ import annotations

import json
import re
from itertools import chain
from pathlib import Path
from typing import Any

# BERT's pre-tokenizer on lowercased ASCII: runs of letters and digits, and every
# punctuation or symbol character on its own (BERT counts all of !-/ :-@ [-` {-~).
_WORDS = re.compile(r"[a-z0-9]+|[!-/:-@\[-`{-~]")
# Control characters BERT's normaliser removes (tab, newline, return are spaces).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MAX_CACHED = 500_000  # distinct words memoised before the memo starts over


class WordPieces:
    """Token ids of ASCII texts, the same as the model's tokenizer gives."""

    def __init__(
        self,
        vocabulary: dict[str, int],
        unknown: str,
        prefix: str,
        longest: int,
        added: list[str],
    ) -> None:
        self._vocabulary = vocabulary
        self._added = [t for t in added if t]  # matched in raw text: left to the tokenizer
        self._unknown = (vocabulary[unknown],)
        self._prefix = prefix
        self._longest = longest
        self._memo: dict[str, tuple[int, ...]] = {}

    @classmethod
    def of(cls, tokenizer_file: Path) -> WordPieces | None:
        """The fast path for this tokenizer.json, or None where it is not plain
        lowercasing BERT WordPiece (the model's tokenizer is then always used)."""
        spec: dict[str, Any] = json.loads(tokenizer_file.read_text(encoding="utf-8"))
        normaliser = spec.get("normalizer") or {}
        model = spec.get("model") or {}
        plain_bert = (
            normaliser.get("type") == "BertNormalizer"
            and normaliser.get("lowercase") is True
            and normaliser.get("clean_text") is True
            and normaliser.get("strip_accents") in (None, True)  # no-ops on ASCII
            and (spec.get("pre_tokenizer") or {}).get("type") == "BertPreTokenizer"
            and model.get("type") == "WordPiece"
        )
        if not plain_bert or model.get("unk_token") not in model.get("vocab", {}):
            return None
        return cls(
            model["vocab"],
            model["unk_token"],
            model.get("continuing_subword_prefix", "##"),
            int(model.get("max_input_chars_per_word", 100)),
            [str(t["content"]).lower() for t in spec.get("added_tokens") or []],
        )

    def ids(self, text: str, limit: int) -> list[int] | None:
        """At most ``limit`` ids of ``text``; None when the text needs the model's
        own tokenizer (non-ASCII or control characters, a special token's text)."""
        if not text.isascii() or _CONTROL.search(text):
            return None
        lowered = text.lower()
        if any(t in lowered for t in self._added):
            return None
        memo = self._memo
        if len(memo) > _MAX_CACHED:
            memo.clear()
        words = _WORDS.findall(lowered)
        pieces = [memo.get(w) or self._remember(w) for w in words]
        return list(chain.from_iterable(pieces))[:limit]

    def _remember(self, word: str) -> tuple[int, ...]:
        pieces = self._memo[word] = self._split(word)
        return pieces

    def _split(self, word: str) -> tuple[int, ...]:
        """Greedy longest-match-first WordPiece; one unknown id when a part has no piece."""
        if len(word) > self._longest:
            return self._unknown
        pieces: list[int] = []
        start = 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else self._prefix + word[start:end]
                found = self._vocabulary.get(piece)
                if found is not None:
                    pieces.append(found)
                    break
                end -= 1
            else:
                return self._unknown
            start = end
        return tuple(pieces)
