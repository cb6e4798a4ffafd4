"""Resolve time expressions in a sentence against the episode's own time.

"yesterday", "last Friday", "two weeks ago", "next month", "May 2023",
"in 2022" ... become a half-open UTC interval [start, end). The rules are
deterministic and fast; what they do not know they leave alone.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from memstrata.extract.gates import Gate

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
NUMBERS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "couple of": 2,
    "few": 3,
    "a few": 3,
    "several": 3,
}
_NUM = r"(\d+|a couple of|a few|an|a|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|few|several)"
_UNIT = r"(day|week|month|year|weekend|wk|yr|mth)s?"
_SHORT_UNITS = {"wk": "week", "yr": "year", "mth": "month"}  # "3 wks ago"
_SEASON = r"(spring|summer|autumn|fall|winter)"
# Meteorological seasons (northern): the month each begins in; winter runs into the next year.
SEASONS = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}
_MONTH = r"(january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)"
_WEEKDAY = r"(monday|tuesday|wednesday|thursday|friday|saturday|sunday)"


@dataclass(frozen=True, slots=True)
class TimeSpan:
    """A resolved expression: its text, and the interval it denotes."""

    text: str
    start: datetime
    end: datetime

    @property
    def label(self) -> str:
        """A canonical name for the interval: '2023-05-08', 'week of 2023-05-08',
        '2023-05', '2023', or 'start to end' for anything else."""
        days = (self.end - self.start).days
        day = self.start.date().isoformat()
        if days == 1:
            return day
        if days == 7 and self.start.weekday() == 0:
            return f"week of {day}"
        if self.start.day == 1 and _add_months(self.start, 1) == self.end:
            return day[:7]
        if self.start.month == self.start.day == 1 and self.end.year == self.start.year + 1:
            return day[:4]
        return f"{day} to {(self.end - timedelta(days=1)).date().isoformat()}"


def _day(at: datetime) -> datetime:
    return at.replace(hour=0, minute=0, second=0, microsecond=0)


def _month_start(year: int, month: int) -> datetime:
    return datetime(year, month, 1, tzinfo=UTC)


def _add_months(start: datetime, months: int) -> datetime:
    index = start.year * 12 + start.month - 1 + months
    return _month_start(index // 12, index % 12 + 1)


def _week_start(at: datetime) -> datetime:
    return _day(at) - timedelta(days=at.weekday())


def _count(raw: str) -> int:
    return int(raw) if raw.isdigit() else NUMBERS.get(raw, 1)


def _shift(anchor: datetime, unit: str, amount: int) -> tuple[datetime, datetime]:
    """The whole day/week/month/year that lies ``amount`` units from the anchor."""
    unit = _SHORT_UNITS.get(unit, unit)
    if unit == "day":
        start = _day(anchor) + timedelta(days=amount)
        return start, start + timedelta(days=1)
    if unit == "week":
        start = _week_start(anchor) + timedelta(weeks=amount)
        return start, start + timedelta(weeks=1)
    if unit == "weekend":
        saturday = _week_start(anchor) + timedelta(days=5, weeks=amount)
        return saturday, saturday + timedelta(days=2)
    if unit == "month":
        start = _add_months(_month_start(anchor.year, anchor.month), amount)
        return start, _add_months(start, 1)
    start = datetime(anchor.year + amount, 1, 1, tzinfo=UTC)
    return start, datetime(anchor.year + amount + 1, 1, 1, tzinfo=UTC)


def _ago(anchor: datetime, unit: str, amount: int) -> tuple[datetime, datetime]:
    """'two weeks ago': the unit-sized span ending ``amount`` units before the anchor."""
    return _shift(anchor, unit, -amount)


def _weekday(anchor: datetime, weekday: int, direction: int) -> tuple[datetime, datetime]:
    """'last Friday' (-1), 'next Friday' (+1), 'on Friday' (0: the most recent one)."""
    today = _day(anchor)
    delta = (today.weekday() - weekday) % 7
    if direction < 0:
        day = today - timedelta(days=delta or 7)
    elif direction > 0:
        day = today + timedelta(days=(weekday - today.weekday()) % 7 or 7)
    else:
        day = today - timedelta(days=delta)
    return day, day + timedelta(days=1)


def _month_named(
    anchor: datetime, month: int, year: int | None, direction: int
) -> tuple[datetime, datetime]:
    if year is None:
        year = anchor.year
        if direction < 0 and month >= anchor.month:
            year -= 1
        elif direction > 0 and month <= anchor.month:
            year += 1
    start = _month_start(year, month)
    return start, _add_months(start, 1)


_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b(the day before yesterday)\b"), "day_before_yesterday"),
    (re.compile(r"\b(yesterday|last night)\b"), "yesterday"),
    (re.compile(r"\b(today|tonight|this morning|this afternoon|this evening)\b"), "today"),
    (re.compile(r"\b(tomorrow)\b"), "tomorrow"),
    (re.compile(rf"\b({_NUM}\s+{_UNIT}\s+ago)\b"), "ago"),
    # "my last day at", "last week at X done": a last one, not a time
    (
        re.compile(
            rf"(?<!my\s)(?<!our\s)(?<!the\s)(?<!his\s)(?<!her\s)\b((last|next|this|past|coming)\s+{_UNIT})\b(?!\s+(?:at|with|of|on\s+the)\b)"
        ),
        "relative_unit",
    ),
    (re.compile(rf"\b((last|next|this|on|coming)\s+{_WEEKDAY})\b"), "weekday"),
    (re.compile(rf"\b((was|were)\s+{_WEEKDAY})\b"), "weekday"),
    (
        re.compile(rf"\b(({_MONTH})\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}}))\b"),
        "month_day_year",
    ),
    (
        re.compile(rf"\b((\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH}),?\s+(\d{{4}}))\b"),
        "day_month_year",
    ),
    (re.compile(rf"\b(({_MONTH})\s+(?:of\s+)?(\d{{4}}))\b"), "month_year"),
    (re.compile(rf"\b((last|next|this|in|since|early|late|mid)\s+({_MONTH}))\b"), "month_relative"),
    (re.compile(r"\b((in|since|during|of|back in)\s+((?:19|20)\d{2}))\b"), "year"),
    (re.compile(r"\b((?:a\s+)?fortnight\s+ago)\b"), "fortnight_ago"),
    (re.compile(rf"\b(in\s+{_NUM}\s+{_UNIT})\b"), "from_now"),
    (
        re.compile(rf"\b((last|next|this|since last|since|in the|in|over the)\s+{_SEASON})\b"),
        "season",
    ),
    (
        re.compile(rf"\b((?:at\s+|by\s+)?the\s+end\s+of\s+({_MONTH}|the month|the year))\b"),
        "end_of",
    ),
    (
        re.compile(
            rf"\b((?:at\s+|from\s+)?the\s+(?:start|beginning)\s+of\s+({_MONTH}|the month|the year))\b"
        ),
        "start_of",
    ),
    (
        re.compile(
            r"\b((?:on\s+|since\s+)?the\s+(\d{1,2})(?:st|nd|rd|th))\b(?!\s+(?:of\s+)?[a-z]{3})"
        ),
        "ordinal_day",
    ),
    (re.compile(r"\b((?:since\s+)?new\s+year['’]?s?(?:\s+eve|\s+day)?)\b"), "new_year"),
    (re.compile(r"\b((?:over|at|on|since|after|before|around)\s+easter)\b"), "easter"),
    (re.compile(r"\b((?:over|at|on|since|after|before|around)\s+christmas)\b"), "christmas"),
    (
        re.compile(rf"\b((?:on\s+)?({_MONTH})\s+(\d{{1,2}})(?:st|nd|rd|th)?)\b(?!\s*,?\s*\d)"),
        "month_day",
    ),
    (
        re.compile(
            rf"\b((?:on\s+)?(?:the\s+)?(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH}))\b(?!\s*,?\s*\d)"
        ),
        "day_month",
    ),
]


_RULE_GATE = Gate([pattern for pattern, _ in _RULES])


def resolve(text: str, anchor: datetime, tense: int = 0) -> list[TimeSpan]:
    """Every time expression the rules know, resolved against ``anchor`` (aware UTC);
    one that lands outside the years 1–9999 is left out.

    ``tense`` says which way an expression with no direction points: -1 the past
    ("started on Monday", "left in November"), +1 the future ("I start on the
    13th"), 0 unknown (a bare weekday is the most recent one, a bare day of the
    month the nearest).

    >>> from datetime import datetime, timezone
    >>> [s.start.date().isoformat() for s in resolve("I moved last May", datetime(2023, 7, 1, tzinfo=timezone.utc))]
    ['2023-05-01']
    """
    lowered = text.lower()
    taken: list[tuple[int, int]] = []
    spans: list[tuple[int, TimeSpan]] = []
    for (pattern, kind), possible in zip(_RULES, _RULE_GATE.open(lowered), strict=True):
        if not possible:
            continue
        for match in pattern.finditer(lowered):
            begin, end = match.span(1)
            if any(begin < t_end and t_begin < end for t_begin, t_end in taken):
                continue
            if "may" in match.group(1).split() and "May" not in text[begin:end]:
                continue  # the modal verb, not the month
            try:
                interval = _interval(kind, match, anchor, tense)
            except (ValueError, OverflowError):  # "7000 years ago": past the calendar
                continue
            if interval is None:
                continue
            taken.append((begin, end))
            spans.append((begin, TimeSpan(text[begin:end], *interval)))
    return [span for _, span in sorted(spans, key=lambda item: item[0])]


# How far apart two anchors are that tell a relative expression from a date.
_ELSEWHEN = timedelta(days=400)


def dated(text: str, anchor: datetime) -> str:
    """``text`` with the day or week each relative time expression in it meant, said
    at ``anchor``, written after it ('my mom and I made dinner last night
    (2023-05-03)'): only past days and weeks, those a reader would count back to; a
    date given in full ('on 3 May 2023'), the anchor's own day ('tonight'), what is
    to come, and months and years are left as they are.

    >>> from datetime import datetime, timezone
    >>> dated("we met two weeks ago", datetime(2023, 5, 20, tzinfo=timezone.utc))
    'we met two weeks ago (week of 2023-05-01)'
    """
    out: list[str] = []
    at = 0
    for span in resolve(text, anchor):
        begin = text.find(span.text, at)
        if begin < 0:
            continue
        end = begin + len(span.text)
        out.append(text[at:end])
        at = end
        if span.end - span.start > timedelta(days=7) or span.start.date() >= anchor.date():
            continue  # a month or a year says itself; today and plans are not counted back
        if any(other.start == span.start for other in resolve(span.text, anchor + _ELSEWHEN)):
            continue  # a date said in full means the same whenever it is read
        out.append(f" ({span.label})")
    out.append(text[at:])
    return "".join(out)


def _interval(
    kind: str, m: re.Match[str], anchor: datetime, tense: int = 0
) -> tuple[datetime, datetime] | None:
    found = _fixed(kind, m, anchor) or _undirected(kind, m, anchor, tense)
    return found


def _fixed(kind: str, m: re.Match[str], anchor: datetime) -> tuple[datetime, datetime] | None:
    if kind == "day_before_yesterday":
        return _shift(anchor, "day", -2)
    if kind == "yesterday":
        return _shift(anchor, "day", -1)
    if kind == "today":
        return _shift(anchor, "day", 0)
    if kind == "tomorrow":
        return _shift(anchor, "day", 1)
    if kind == "ago":
        return _ago(anchor, m.group(3), _count(m.group(2)))
    if kind == "relative_unit":
        direction = {"last": -1, "past": -1, "next": 1, "coming": 1, "this": 0}[m.group(2)]
        return _shift(anchor, m.group(3), direction)
    if kind == "weekday" and m.group(2) in ("last", "next", "coming", "this"):
        if m.group(2) == "this":
            return _this_weekday(anchor, WEEKDAYS[m.group(3)])
        if m.group(2) == "next":  # the one of next week
            following = _week_start(anchor) + timedelta(weeks=1, days=WEEKDAYS[m.group(3)])
            return following, following + timedelta(days=1)
        direction = {"last": -1, "coming": 1}[m.group(2)]
        return _weekday(anchor, WEEKDAYS[m.group(3)], direction)
    if kind in ("month_day_year", "day_month_year"):
        month_name, day, year = (
            (m.group(2), m.group(4), m.group(5))
            if kind == "month_day_year"
            else (m.group(3), m.group(2), m.group(5))
        )
        try:
            start = datetime(int(year), MONTHS[month_name], int(day), tzinfo=UTC)
        except ValueError:
            return None
        return start, start + timedelta(days=1)
    if kind == "month_year":
        return _month_named(anchor, MONTHS[m.group(2)], int(m.group(4)), 0)
    if kind == "month_relative" and m.group(2) in ("last", "since", "next"):
        direction = {"last": -1, "since": -1, "next": 1}[m.group(2)]
        return _month_named(anchor, MONTHS[m.group(3)], None, direction)
    if kind == "year":
        year = int(m.group(3))
        return datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
    if kind == "fortnight_ago":
        return _shift(anchor, "day", -14)
    if kind == "from_now":
        return _from_now(anchor, m.group(3), _count(m.group(2)))
    if kind == "season":
        return _season(anchor, SEASONS[m.group(3)], m.group(2))
    return None


def _undirected(
    kind: str, m: re.Match[str], anchor: datetime, tense: int
) -> tuple[datetime, datetime] | None:
    """Expressions whose direction comes from the verb's tense."""
    if kind == "weekday":  # "on Monday", "was Tuesday"
        direction = 1 if tense > 0 and m.group(2) != "was" else 0
        return _weekday(anchor, WEEKDAYS[m.group(3)], direction)
    if kind == "month_relative":  # "in November", "early May"
        return _month_named(anchor, MONTHS[m.group(3)], None, tense)
    if kind == "end_of":
        return _end_of(anchor, m.group(2), tense)
    if kind == "start_of":
        return _start_of(anchor, m.group(2), tense)
    if kind == "ordinal_day":
        return _ordinal_day(anchor, int(m.group(2)), -1 if "since" in m.group(1) else tense)
    if kind in ("easter", "christmas"):
        return _feast(anchor, kind, tense)
    if kind in ("month_day", "day_month"):
        month, day = (m.group(3), m.group(4)) if kind == "month_day" else (m.group(4), m.group(3))
        return _month_day(anchor, MONTHS[month], int(day), tense)
    if kind == "new_year":
        year = anchor.year + (1 if tense > 0 and anchor.month > 1 else 0)
        start = datetime(year, 1, 1, tzinfo=UTC)
        return start, start + timedelta(days=1)
    return None


def easter(year: int) -> datetime:
    """Easter Sunday of a year (the Gregorian computus)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    slack = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 19 * slack) // 433
    month = (h + slack - 7 * m + 90) // 25
    day = (h + slack - 7 * m + 33 * month + 19) % 32
    return datetime(year, month, day, tzinfo=UTC)


def _feast(anchor: datetime, kind: str, tense: int) -> tuple[datetime, datetime]:
    """The Easter or Christmas nearest before the anchor (after it, in the future tense)."""

    def on(year: int) -> datetime:
        return easter(year) if kind == "easter" else datetime(year, 12, 25, tzinfo=UTC)

    day = on(anchor.year)
    if tense > 0 and day < _day(anchor):
        day = on(anchor.year + 1)
    elif tense <= 0 and day > anchor:
        day = on(anchor.year - 1)
    return day, day + timedelta(days=1)


def _month_day(
    anchor: datetime, month: int, day: int, tense: int
) -> tuple[datetime, datetime] | None:
    """'on June 1st': this year's, or the nearest year's the tense allows."""
    try:
        candidates = [datetime(anchor.year + k, month, day, tzinfo=UTC) for k in (-1, 0, 1)]
    except ValueError:
        return None
    today = _day(anchor)
    if tense < 0:
        candidates = [c for c in candidates if c <= today]
    elif tense > 0:
        candidates = [c for c in candidates if c >= today]
    best = min(candidates, key=lambda c: abs((c - today).days))
    return best, best + timedelta(days=1)


def _this_weekday(anchor: datetime, weekday: int) -> tuple[datetime, datetime]:
    """'this Friday': the one of this week, or the coming one once this week's has passed."""
    day = _week_start(anchor) + timedelta(days=weekday)
    if day < _day(anchor):
        day += timedelta(weeks=1)
    return day, day + timedelta(days=1)


def _from_now(anchor: datetime, unit: str, amount: int) -> tuple[datetime, datetime]:
    """'in two weeks': the day that lies that far ahead."""
    unit = _SHORT_UNITS.get(unit, unit)
    days = {"day": 1, "week": 7, "weekend": 7, "month": 30, "year": 365}[unit] * amount
    return _shift(anchor, "day", days)


def _season(anchor: datetime, first_month: int, word: str) -> tuple[datetime, datetime]:
    """'last spring' (the latest one that has ended), 'this summer', 'next winter'."""
    start = _month_start(anchor.year, first_month)
    if first_month == 12 and anchor.month < 3:
        start = _month_start(anchor.year - 1, 12)
    end = _add_months(start, 3)
    if word in ("last", "since last", "over the"):
        while end > anchor:
            start, end = _add_months(start, -12), _add_months(end, -12)
    elif word == "next":
        while start <= anchor:
            start, end = _add_months(start, 12), _add_months(end, 12)
    return start, end


def _end_of(anchor: datetime, what: str, tense: int) -> tuple[datetime, datetime]:
    """'at the end of May' (its last day), 'by the end of the month / year'."""
    if what == "the year":
        last = datetime(anchor.year, 12, 31, tzinfo=UTC)
    else:
        month = anchor.month if what == "the month" else MONTHS[what]
        start, _ = _month_named(anchor, month, None, tense if what != "the month" else 0)
        last = _add_months(start, 1) - timedelta(days=1)
    return last, last + timedelta(days=1)


def _start_of(anchor: datetime, what: str, tense: int) -> tuple[datetime, datetime]:
    """'at the start of the month' (its first day), 'the beginning of May / the year'."""
    if what == "the year":
        first = datetime(anchor.year, 1, 1, tzinfo=UTC)
    elif what == "the month":
        first = _month_start(anchor.year, anchor.month)
    else:
        first, _ = _month_named(anchor, MONTHS[what], None, tense)
    return first, first + timedelta(days=1)


def _ordinal_day(anchor: datetime, day: int, tense: int) -> tuple[datetime, datetime] | None:
    """'on the 4th': in this month, the last or the next, whichever the tense (or,
    without one, nearness) picks."""
    if not 1 <= day <= 31:
        return None
    candidates: list[datetime] = []
    for months in (-1, 0, 1):
        first = _add_months(_month_start(anchor.year, anchor.month), months)
        if day <= calendar.monthrange(first.year, first.month)[1]:
            candidates.append(first.replace(day=day))
    today = _day(anchor)
    if tense < 0:
        candidates = [c for c in candidates if c <= today] or candidates
    elif tense > 0:
        candidates = [c for c in candidates if c >= today] or candidates
    best = min(candidates, key=lambda c: abs((c - today).days))
    return best, best + timedelta(days=1)


_COUNT = _NUM.replace("(", "(?:", 1)
_DURATION = re.compile(
    r"\b(?:for|been|over|nearly|almost|about|around|past)\s+"
    r"(?:(?:about|almost|nearly|over|around|the\s+past|the\s+last)\s+)?"
    rf"(?P<count>{_COUNT})\s+(?P<unit>day|week|month|year)s?\b"
    rf"|\b(?P<count2>{_COUNT})\s+(?P<unit2>day|week|month|year)s?\s+(?:now|in)\b"
)
_UNIT_DAYS = {"day": 1, "week": 7, "weekend": 7, "month": 30.44, "year": 365.25}


def duration_start(text: str, anchor: datetime) -> datetime | None:
    """When a state said to have lasted a while began: 'for 31 years', 'almost four
    years now', 'three weeks in' -> the anchor less that long."""
    match = _DURATION.search(text.lower())
    if match is None:
        return None
    raw = match.group("count") or match.group("count2")
    unit = match.group("unit") or match.group("unit2")
    try:
        return _day(anchor) - timedelta(days=round(_count(raw) * _UNIT_DAYS[unit]))
    except OverflowError:
        return None
