"""Query analysis and the ranker, in isolation."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from memstrata.index import analyzer
from memstrata.retrieve.query import (
    Anchored,
    about_replies,
    about_user,
    anchored,
    order_of,
    shape_of,
    speakers_named,
    time_window,
)
from memstrata.retrieve.ranker import Ranker, fit

NOW = datetime(2023, 7, 1, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("question", "shape"),
    [
        ("When did Maya move to Lyon?", "when"),
        ("What year did they marry?", "when"),
        ("Who is Maya's sister?", "who"),
        ("Where does Leo work?", "where"),
        ("How many cats does Ana have?", "how_many"),
        ("What does Maya like?", "other"),
    ],
)
def test_question_shapes(question: str, shape: str) -> None:
    assert shape_of(question) == shape


@pytest.mark.parametrize(
    ("question", "order"),
    [
        ("What is Maya's job now?", "latest"),
        ("Where does she still live?", "latest"),
        ("What did Maya cook the first time?", "first"),
        ("What does Maya like?", None),
    ],
)
def test_latest_state_and_first_time(question: str, order: str | None) -> None:
    assert order_of(question) == order


def test_time_windows_resolve_against_now() -> None:
    start, end = time_window("What did I do last May?", NOW) or (0, 0)
    assert datetime.fromtimestamp(start / 1e6, UTC) == datetime(2023, 5, 1, tzinfo=UTC)
    assert datetime.fromtimestamp(end / 1e6, UTC) == datetime(2023, 6, 1, tzinfo=UTC)
    assert time_window("What did I do?", NOW) is None


def test_speakers_are_named_by_every_term_of_their_name() -> None:
    codes = {"Maya Lopez": 0, "Leo": 1, "Ana": 2}
    assert speakers_named(analyzer.terms("What did Maya Lopez and Leo eat?"), codes) == {0, 1}
    assert speakers_named(analyzer.terms("What did Maya eat?"), codes) == frozenset()


def test_the_ranker_learns_which_feature_matters_and_round_trips(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    matrix = rng.normal(size=(400, 3))
    labels = (matrix[:, 1] > 0.5).astype(np.float64)
    ranker = fit(matrix, labels, ("a", "b", "c"))
    assert np.argmax(np.abs(ranker.weights)) == 1 and ranker.weights[1] > 0
    ranker.save(tmp_path / "r.json")
    again = Ranker.load(tmp_path / "r.json")
    assert np.allclose(again.score(matrix, ("a", "b", "c")), ranker.score(matrix, ("a", "b", "c")))
    # columns are matched by name; a missing one counts as its mean
    reordered = again.score(matrix[:, [2, 1, 0]], ("c", "b", "a"))
    assert np.allclose(reordered, ranker.score(matrix, ("a", "b", "c")))
    without_c = matrix.copy()
    without_c[:, 2] = ranker.mean[2]
    assert np.allclose(
        again.score(matrix[:, :2], ("a", "b")), ranker.score(without_c, ("a", "b", "c"))
    )


def test_the_shipped_ranker_covers_every_feature() -> None:
    from memstrata.retrieve.recall import FEATURES

    assert Ranker.load().features == FEATURES


def test_spans_measured_from_a_named_happening() -> None:
    assert anchored("What did Maya do two weeks before the trip to Rome?") == Anchored(
        14, True, "the trip to Rome"
    )
    assert anchored("Where did they go the day after the wedding?") == Anchored(
        1, False, "the wedding"
    )
    assert anchored("When did Maya move?") is None


def test_a_question_in_the_first_person_is_about_the_user() -> None:
    assert about_user("What did I buy for my commute?")
    assert about_user("Where's the bike I'm riding") and about_user("remind me")
    assert not about_user("What did Caroline buy?") and not about_user("Is it in Iowa?")
    assert not about_user("What did you tell me about my car?")  # about the replies
    assert about_user("Can you suggest something to do on my commute?")  # a request


@pytest.mark.parametrize(
    "question",
    [
        "What was the name of the soup you recommended last week?",
        "Remind me of the third tip in the list you'd provided.",
        "You mentioned a book on sleep; who wrote it?",
        "Which hotel did you suggest for my stay in Porto?",
        "Going back to our previous conversation about tax forms, which one was due first?",
        "We talked about hiking boots. Which brand was it?",
    ],
)
def test_a_question_about_what_was_replied(question: str) -> None:
    assert about_replies(question)


@pytest.mark.parametrize(
    "question",
    [
        "Can you recommend a show for tonight?",  # a request, not a memory of a reply
        "What did I buy for my commute?",
        "What did Caroline say about the trip?",
        "Do you have any tips for Tokyo?",
    ],
)
def test_a_request_or_a_question_about_the_user_is_not_about_replies(question: str) -> None:
    assert not about_replies(question)
