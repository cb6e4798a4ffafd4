"""Letter classes for the extractor's regular expressions: capitals and small
letters beyond ASCII ('Łódź', 'İzmir', 'Tūī Studios'), which ``[A-Z]`` and
``[a-z]`` miss, so that a name with a diacritic is read as a name."""

from __future__ import annotations

import re
from collections.abc import Callable

_SPAN = range(0xC0, 0x530)  # Latin-1, Latin Extended-A/B, IPA, Greek, Cyrillic


def _class(test: Callable[[str], bool]) -> str:
    return "".join(c for c in map(chr, _SPAN) if test(c))


UPPER = "A-Z" + _class(str.isupper)
LOWER = "a-z" + _class(str.islower)


def widened(pattern: str) -> str:
    """``pattern`` with its ASCII letter classes ``[A-Z]``, ``[a-z]`` and
    ``[A-Za-z]`` widened to every capital or small letter of those scripts."""
    return (
        pattern.replace("[A-Za-z]", f"[{UPPER}{LOWER}]")
        .replace("[A-Z]", f"[{UPPER}]")
        .replace("[a-z]", f"[{LOWER}]")
    )


def compile_widened(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile`` of the pattern with its letter classes widened."""
    return re.compile(widened(pattern), flags)
