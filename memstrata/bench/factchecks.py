"""Checks on the facts kept after a conversation: the grammar of the fact-scenario sets.

A check filters facts (``object_contains``, ``subject_any``, ``predicate_any``,
``filter_valid_on``, ``filter_valid_year``) and asserts what must hold of
them (``current``, ``invalid_after``/``invalid_before``,
``valid_after``/``valid_before``/``valid_year``, ``holds_on``,
``not_holds_on``, ``absent``, ``count_max``). ``{"any_of": [...]}`` passes if
one alternative does. A fact whose predicate is negated, ended or
hypothetical ("never_lived_in", "moved_from", "might_move_to") is kept but is
no *state*: state assertions skip it. A retracted fact (``expired_at`` set,
``invalid_at`` not) was never true; one with both set was true until
``invalid_at``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

NOT_STATE_WORDS = frozenset(
    """
    not never no non dont doesnt didnt isnt wasnt cannot cant nor declined declines refused
    rejected denies denied
    former formerly previous previously prior ex left leaves leaving quit quits resigned fired
    laid retired broke split separated divorced divorce from used past ended stopped exited
    departed
    might may could would should maybe perhaps possibly possible potential potentially plan
    plans planning planned consider considers considering considered thinking want wants
    wanted wish wishes hope hopes hoping intend intends intending if hypothetical dream dreams
    interested tempted applied applies applying offered rumored rumoured visit visits visited
    visiting trip travel travels traveling travelling vacation holiday
    """.split()
)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SEPARATORS = re.compile(r"[-_/\s]+")


@dataclass(frozen=True, slots=True)
class KeptFact:
    """What a check reads of a fact."""

    subject: str
    predicate: str
    object: str
    valid_at: datetime | None
    invalid_at: datetime | None
    expired_at: datetime | None

    @property
    def retracted(self) -> bool:
        return self.expired_at is not None and self.invalid_at is None

    @property
    def state(self) -> bool:
        return not NOT_STATE_WORDS.intersection(predicate_tokens(self.predicate))

    def current(self, now: datetime) -> bool:
        return self.expired_at is None and (self.invalid_at is None or self.invalid_at > now)

    def holds_on(self, day: date) -> bool:
        if self.retracted:
            return False
        starts = self.valid_at is None or self.valid_at.date() <= day
        return starts and (self.invalid_at is None or day < self.invalid_at.date())


def fold(text: str) -> str:
    """Lower case, accents off, '-', '_' and '/' as spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SEPARATORS.sub(" ", bare.lower()).strip()


def predicate_tokens(predicate: str) -> list[str]:
    return [t for t in _SEPARATORS.split(_CAMEL.sub(" ", predicate).lower()) if t]


def _whole_word(needle: str, text: str, *, plural: bool) -> bool:
    folded = fold(needle)
    if not folded:
        return False
    suffix = "(?:s|es)?" if plural and not folded[-1:].isdigit() else ""
    return re.search(rf"(?<!\w){re.escape(folded)}{suffix}(?!\w)", fold(text)) is not None


def _as_list(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    raise ValueError(f"expected a text or a list of texts, got {value!r}")


def _matches(check: Mapping[str, Any], fact: KeptFact) -> bool:
    if "object_contains" in check and not any(
        _whole_word(n, fact.object, plural=True) for n in _as_list(check["object_contains"])
    ):
        return False
    if "subject_any" in check and not any(
        _whole_word(n, fact.subject, plural=False) for n in _as_list(check["subject_any"])
    ):
        return False
    if "predicate_any" in check:
        tokens = predicate_tokens(fact.predicate)
        starts = [fold(p) for p in _as_list(check["predicate_any"])]
        if not any(t.startswith(s) for t in tokens for s in starts):
            return False
    if "filter_valid_on" in check and (
        fact.valid_at is None or fact.valid_at.date() != _day(check["filter_valid_on"])
    ):
        return False
    year = check.get("filter_valid_year")
    return year is None or (fact.valid_at is not None and fact.valid_at.year == int(year))


def _day(value: object) -> date:
    return date.fromisoformat(str(value)[:10])


def _in_days(moment: datetime | None, after: object, before: object) -> bool:
    if moment is None:
        return False
    day = moment.date()
    return (after is None or day >= _day(after)) and (before is None or day <= _day(before))


def passes(check: Mapping[str, Any], facts: Sequence[KeptFact], now: datetime) -> bool:
    """Whether ``facts`` satisfy one check, read at ``now``."""
    if "any_of" in check:
        return any(passes(alternative, facts, now) for alternative in check["any_of"])
    matching = [f for f in facts if _matches(check, f)]
    states = [f for f in matching if f.state]
    if check.get("absent"):
        if any(f.current(now) for f in states):
            return False
        if set(check) - {"note"} <= {"absent", *_FILTERS}:
            return True
    if not matching:
        return False
    dated = _dated(check, matching, now)
    if dated is not None and not dated:
        return False
    current = check.get("current")
    if current is True and not any(f.current(now) for f in (dated or states)):
        return False
    if current is False and (not states or any(f.current(now) for f in states)):
        return False
    if ("invalid_after" in check or "invalid_before" in check) and not any(
        _in_days(f.invalid_at, check.get("invalid_after"), check.get("invalid_before"))
        for f in matching
    ):
        return False
    if "holds_on" in check and not any(f.holds_on(_day(check["holds_on"])) for f in states):
        return False
    if "not_holds_on" in check and any(f.holds_on(_day(check["not_holds_on"])) for f in states):
        return False
    if "count_max" in check:
        kept = [f for f in states if not f.retracted]
        if not 1 <= len(kept) <= int(check["count_max"]):
            return False
    return True


_FILTERS = (
    "object_contains",
    "subject_any",
    "predicate_any",
    "filter_valid_on",
    "filter_valid_year",
)


def _dated(
    check: Mapping[str, Any], matching: Sequence[KeptFact], now: datetime
) -> list[KeptFact] | None:
    """The matching facts, not retracted, that begin where the check says (None: no such
    assertion)."""
    after, before, year = (
        check.get("valid_after"),
        check.get("valid_before"),
        check.get("valid_year"),
    )
    if after is None and before is None and year is None:
        return None
    found = [
        f
        for f in matching
        if not f.retracted
        and _in_days(f.valid_at, after, before)
        and (year is None or (f.valid_at is not None and f.valid_at.year == int(year)))
    ]
    if check.get("current") is True:
        found = [f for f in found if f.state and f.current(now)]
    return found
