"""Which letters a regular expression's every match holds: a cheap test that skips
patterns a text cannot match (most sentences match none of the extractor's)."""

from __future__ import annotations

import importlib
import re
from typing import Any

# The regular-expression parser is private to ``re`` (and has no stubs); it is read,
# never changed, and ``re`` has carried it under these names since Python 3.11.
sre_parse: Any = importlib.import_module("re._parser")
sre_constants: Any = importlib.import_module("re._constants")


def required_runs(pattern: re.Pattern[str]) -> frozenset[str]:
    """Letter runs (lower case) of which every match of ``pattern`` contains one: a
    text holding none cannot match. Empty when there is no such set."""
    required = _required(sre_parse.parse(pattern.pattern, pattern.flags))
    return frozenset(required) if required else frozenset()


class Gate:
    """Tests many patterns' runs against one text at once."""

    def __init__(self, patterns: list[re.Pattern[str]]) -> None:
        self.runs = [required_runs(p) for p in patterns]
        self._all = tuple(sorted(set().union(*self.runs)))

    def open(self, text: str) -> list[bool]:
        """For each pattern, whether ``text`` (lower case) may match it."""
        present = {run for run in self._all if run in text}
        return [not runs or not present.isdisjoint(runs) for runs in self.runs]


def _required(nodes: Any) -> set[str] | None:
    """A set of letter runs one of which every match of the parsed pattern contains,
    or None. A branch needs one in every alternative; a sequence needs one in any
    of its parts (the most telling one is kept: the longest shortest run)."""
    options: list[set[str]] = []
    run = ""
    for op, arg in [*nodes, (None, None)]:
        if op is sre_constants.LITERAL and chr(arg).isalpha():
            run += chr(arg).lower()
            continue
        if len(run) >= 2:
            options.append({run})
        run = ""
        found: set[str] | None = None
        if op is sre_constants.BRANCH:
            parts = [_required(branch) for branch in arg[1]]
            known = [p for p in parts if p]
            found = set().union(*known) if len(known) == len(parts) else None
        elif op is sre_constants.SUBPATTERN:
            found = _required(arg[-1])
        elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT) and arg[0] >= 1:
            found = _required(arg[2])
        elif op is sre_constants.ASSERT and arg[0] == 1:  # a lookahead must match too
            found = _required(arg[1])
        if found:
            options.append(found)
    return max(options, key=lambda o: min(map(len, o)), default=None)
