"""Time expressions resolved against the episode's own time."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from memstrata.extract.timeexpr import resolve

# Saturday 1 July 2023, 10:00 UTC
ANCHOR = datetime(2023, 7, 1, 10, 0, tzinfo=UTC)

CASES = [
    ("I went there yesterday", "yesterday", date(2023, 6, 30), date(2023, 7, 1)),
    (
        "it was the day before yesterday",
        "the day before yesterday",
        date(2023, 6, 29),
        date(2023, 6, 30),
    ),
    ("see you tomorrow", "tomorrow", date(2023, 7, 2), date(2023, 7, 3)),
    ("we met last Friday", "last Friday", date(2023, 6, 30), date(2023, 7, 1)),
    ("next Monday works", "next Monday", date(2023, 7, 3), date(2023, 7, 4)),
    ("actually it was Tuesday", "was Tuesday", date(2023, 6, 27), date(2023, 6, 28)),
    ("two weeks ago I quit", "two weeks ago", date(2023, 6, 12), date(2023, 6, 19)),
    ("3 days ago", "3 days ago", date(2023, 6, 28), date(2023, 6, 29)),
    ("a few months ago", "a few months ago", date(2023, 4, 1), date(2023, 5, 1)),
    ("next month I travel", "next month", date(2023, 8, 1), date(2023, 9, 1)),
    ("last year was hard", "last year", date(2022, 1, 1), date(2023, 1, 1)),
    ("last week", "last week", date(2023, 6, 19), date(2023, 6, 26)),
    ("this weekend", "this weekend", date(2023, 7, 1), date(2023, 7, 3)),
    ("I moved in May 2023", "May 2023", date(2023, 5, 1), date(2023, 6, 1)),
    ("since last May", "last May", date(2023, 5, 1), date(2023, 6, 1)),
    ("next March", "next March", date(2024, 3, 1), date(2024, 4, 1)),
    ("we married in 2022", "in 2022", date(2022, 1, 1), date(2023, 1, 1)),
    ("on 8 May, 2023 it rained", "8 May, 2023", date(2023, 5, 8), date(2023, 5, 9)),
    ("on June 21st, 2023", "June 21st, 2023", date(2023, 6, 21), date(2023, 6, 22)),
    ("we movd here 3 wks ago", "3 wks ago", date(2023, 6, 5), date(2023, 6, 12)),
    ("back in 2 wks", "in 2 wks", date(2023, 7, 15), date(2023, 7, 16)),
    ("sold it 2 yrs ago", "2 yrs ago", date(2021, 1, 1), date(2022, 1, 1)),
    ("at the start of the month", "at the start of the month", date(2023, 7, 1), date(2023, 7, 2)),
    ("the beginning of May", "the beginning of May", date(2023, 5, 1), date(2023, 5, 2)),
]


@pytest.mark.parametrize(("text", "expression", "start", "end"), CASES)
def test_expression_resolves_to_its_interval(
    text: str, expression: str, start: date, end: date
) -> None:
    (span,) = resolve(text, ANCHOR)
    assert span.text == expression
    assert (span.start.date(), span.end.date()) == (start, end)
    assert span.start.tzinfo == UTC


@pytest.mark.parametrize(
    "text",
    [
        "this may be hard",
        "you may go",
        "I like the number 2022x",
        "nothing temporal here",
        "Maybe next time",
    ],
)
def test_non_expressions_are_left_alone(text: str) -> None:
    assert [s.text for s in resolve(text, ANCHOR) if "may" in s.text.lower()] == []
    if text != "Maybe next time":
        assert resolve(text, ANCHOR) == []


def test_several_expressions_in_order() -> None:
    spans = resolve("Yesterday I booked a flight for next month", ANCHOR)
    assert [s.text for s in spans] == ["Yesterday", "next month"]
