"""Query analysis: what a question asks about, and when.

From the text alone (no labels): the index terms; a time window from the time
expressions it contains, resolved against ``now`` ("last May", "two weeks
ago", "in 2022"); its shape (when / who / where / how many) and whether it asks
for the latest state or the first time; which speakers and entities of the namespace it names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from memstrata.extract.timeexpr import NUMBERS, resolve
from memstrata.index import analyzer
from memstrata.index.namespace_index import NamespaceIndex

Shape = str  # "when" | "who" | "where" | "how_many" | "other"

_SHAPES: tuple[tuple[Shape, re.Pattern[str]], ...] = (
    (
        "when",
        re.compile(
            r"^\s*(?:when\b|what (?:year|month|date|day|time)\b|since when\b|how long ago\b)", re.I
        ),
    ),
    ("who", re.compile(r"^\s*(?:who|whom|whose)\b", re.I)),
    ("where", re.compile(r"^\s*where\b", re.I)),
    ("how_many", re.compile(r"^\s*how (?:many|much|often|long)\b", re.I)),
)
_ORDERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "latest",
        re.compile(
            r"\b(?:now|currently|current|latest|these days|at the moment|most recent(?:ly)?|"
            r"still|nowadays|anymore)\b",
            re.I,
        ),
    ),
    ("first", re.compile(r"\b(?:first time|the first|earliest|originally)\b", re.I)),
)


@dataclass(frozen=True, slots=True)
class Query:
    text: str
    terms: list[str]
    now: datetime
    vector: np.ndarray | None = None
    window: tuple[int, int] | None = None  # [start, end) in µs, from a time expression
    shape: Shape = "other"
    order: str | None = None  # "latest" (current state) or "first" (earliest time)
    speakers: frozenset[int] = field(default_factory=frozenset)  # speaker codes named
    about_user: bool = False  # "what did I ...": about the one asking, the user
    about_replies: bool = False  # "what did you recommend ...": about what was replied
    entities: tuple[int, ...] = ()  # entity nodes of the structure index named
    expansions: tuple[tuple[str, float], ...] = ()  # (term, weight) near its words


def shape_of(text: str) -> Shape:
    for shape, pattern in _SHAPES:
        if pattern.search(text):
            return shape
    return "other"


def order_of(text: str) -> str | None:
    """'latest' for questions about the current state, 'first' for the first time."""
    for order, pattern in _ORDERS:
        if pattern.search(text):
            return order
    return None


def time_window(text: str, now: datetime) -> tuple[int, int] | None:
    """The first time expression of the question, as a [start, end) window in µs."""
    spans = resolve(text, now)
    if not spans:
        return None
    span = spans[0]
    return int(span.start.timestamp() * 1_000_000), int(span.end.timestamp() * 1_000_000)


_ANCHORED = re.compile(
    r"\b(?:(?P<amount>\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|a few|few|"
    r"several|a couple of)\s+)?(?:the\s+)?(?P<unit>day|week|month|year)s?\s+"
    r"(?P<direction>before|after|prior to|following)\s+(?P<anchor>(?:the|my|our|his|her|their)\s+"
    r"[\w'’\- ]{2,60}?)(?=[?.!,;]|$)",
    re.I,
)
_UNIT_DAYS = {"day": 1, "week": 7, "month": 30, "year": 365}


@dataclass(frozen=True, slots=True)
class Anchored:
    """'two weeks before the trip': a span measured from a happening the question
    names, to be found in memory."""

    days: int  # the span's length
    before: bool
    anchor: str  # words naming the happening ("the trip")


def anchored(text: str) -> Anchored | None:
    match = _ANCHORED.search(text)
    if match is None:
        return None
    raw = (match.group("amount") or "one").lower()
    amount = int(raw) if raw.isdigit() else NUMBERS.get(raw, 1)
    days = amount * _UNIT_DAYS[match.group("unit").lower()]
    before = match.group("direction").lower() in ("before", "prior to")
    return Anchored(days, before, match.group("anchor"))


def anchored_window(span: Anchored, at_us: int) -> tuple[int, int]:
    """The window of ``span`` measured from a happening at ``at_us``: the span and
    as much again beyond it ("two weeks before" reaches back four weeks)."""
    reach = 2 * span.days * 86_400_000_000
    return (at_us - reach, at_us) if span.before else (at_us, at_us + reach)


# "you mentioned", "the list you provided", "what did you suggest": the one asked,
# saying or giving something before; "our previous chat", "we talked about":
# the conversation itself.
_REPLIED = re.compile(
    r"\byou(?:'ve|'d| have| had)?\s+(?:\w+\s+){0,2}?(?:mentioned|told|said|recommended|"
    r"suggested|provided|gave|given|wrote|written|listed|shared|made|described|explained|"
    r"offered|showed|shown|named|proposed|advised|came up with|helped|created|generated|"
    r"compiled|drafted|composed|played|remembered)\b",
    re.IGNORECASE,
)
_ASKED_REPLY = re.compile(
    r"\bdid you\s+(?:\w+\s+)?(?:tell|say|recommend|suggest|mention|give|provide|write|list|"
    r"share|make|describe|explain|offer|show|name|propose|advise)\b",
    re.IGNORECASE,
)
_CONVERSATION = re.compile(
    r"\b(?:our|the|that|this)\s+(?:previous|earlier|last|past|prior|recent)\s+"
    r"(?:conversation|chat|discussion|talk|exchange|session)s?\b|"
    r"\bwe\s+(?:\w+\s+)?(?:talked|discussed|chatted|spoke|decided|went over)\b",
    re.IGNORECASE,
)


def about_replies(text: str) -> bool:
    """Whether the question asks what the one it asks said before ("the recipe
    you recommended", "our previous chat about ..."): the answer is in a reply."""
    return any(p.search(text) is not None for p in (_REPLIED, _ASKED_REPLY, _CONVERSATION))


_FIRST_PERSON = re.compile(r"\b(?:i|me|my|mine|myself)\b", re.IGNORECASE)


def about_user(text: str) -> bool:
    """Whether the question speaks of its asker ("where did I put ...", "can you
    suggest something for my commute?") and not of what the one it asks said
    ("what did you tell me ..." is about the replies)."""
    return _FIRST_PERSON.search(text) is not None and not about_replies(text)


def speakers_named(terms: list[str], speakers: dict[str, int]) -> frozenset[int]:
    """Codes of the speakers whose every name term is in the question."""
    wanted = set(terms)
    named = set()
    for name, code in speakers.items():
        own = set(analyzer.terms(name))
        if own and own <= wanted:
            named.add(code)
    return frozenset(named)


def anchored_window_in(
    index: NamespaceIndex, text: str, mask: np.ndarray
) -> tuple[int, int] | None:
    """'two weeks before the trip': the window measured from when the best match
    for "the trip" happened."""
    span = anchored(text)
    if span is None:
        return None
    positions, _ = index.bm25.search(analyzer.terms(span.anchor), 1, mask)
    if not len(positions):
        return None
    return anchored_window(span, int(index.occurred(positions)[0]))


def analyse_query(
    index: NamespaceIndex,
    text: str,
    terms: list[str],
    now: datetime,
    vector: np.ndarray | None,
    mask: np.ndarray,
) -> Query:
    """Everything the read path knows about a question (under the index's lock)."""
    return Query(
        text=text,
        terms=terms,
        now=now,
        vector=vector,
        window=time_window(text, now) or anchored_window_in(index, text, mask),
        shape=shape_of(text),
        order=order_of(text),
        speakers=speakers_named(terms, index.speaker_names()),
        about_user=about_user(text),
        about_replies=about_replies(text),
        entities=tuple(index.structure.entities_named(terms)),
    )
