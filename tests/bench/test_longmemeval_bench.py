"""The LongMemEval bench on a tiny folder in its format: it runs end to end,
skips abstention questions, and its metrics say what they should."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from memstrata.bench.longmemeval import (
    MODES,
    SYSTEMS,
    Haystack,
    question_metrics,
    run_longmemeval,
    stratified,
)
from memstrata.bench.longmemeval_data import Question
from tests.bench.longmemeval_folder import write_folder


def question(kind: str, number: int) -> Question:
    return Question(f"q{number}", kind, "?", datetime(2023, 6, 1, tzinfo=UTC), "", (), ())


def test_metrics_of_one_ranking() -> None:
    h = Haystack(
        "q0",
        question("multi-session", 0),
        keys=["a:0", "a:1", "b:0", "c:0"],
        roles=["user"] * 4,
        texts=["x"] * 4,
        evidence=frozenset({"b:0", "c:0"}),
        evidence_sessions=frozenset({"b", "c"}),
    )
    row = question_metrics(["a:1", "b:0", "a:0", "c:0"], h)
    assert row["R@1"] == 0 and row["R@3"] == 0.5 and row["R@5"] == 1
    assert row["MRR"] == 0.5
    assert row["any@1"] == 0 and row["any@3"] == 1  # sessions a, b, c: b is second
    assert row["all@1"] == 0 and row["all@3"] == 1
    bare = Haystack("q1", h.question, h.keys, h.roles, h.texts, frozenset(), h.evidence_sessions)
    assert "R@1" not in question_metrics(["b:0"], bare)  # no evidence turns: sessions only


def test_a_stratified_subset_deals_the_types_in_turn() -> None:
    asked = [question("a", i) for i in range(4)] + [question("b", 4 + i) for i in range(2)]
    assert [q.question_type for q in stratified(asked, 4)] == ["a", "b", "a", "b"]
    assert stratified(asked, None) == asked


def test_the_bench_runs_end_to_end(tmp_path: Path) -> None:
    data, out = tmp_path / "data", tmp_path / "out"
    write_folder(data, questions=5, sessions=3, abstention=True)
    out.mkdir()
    result = run_longmemeval(data, out, None, Console(quiet=True))
    assert result["questions"] == 5  # the abstention question is skipped
    for mode in MODES:
        assert set(result["summary"][mode]) == set(SYSTEMS)
        every = result["summary"][mode]["memstrata"]["all"]
        assert every["n"] == 5 and every["R@10"] == 100.0 and every["all@10"] == 100.0
    assert set(result["summary"]["all roles"]["bm25"]) == {
        "all",
        "multi-session",
        "single-session-user",
    }
    assert result["ingest"]["turns"] == 30
    assert result["budget_recall"] == {"500": 100.0, "1000": 100.0, "2000": 100.0}
    held = result["budget_recall_held_out"]  # blocks built by each fold's own ranker
    assert set(held) == {"held-out", "held-out, linear part alone"}
    assert all(shares == result["budget_recall"] for shares in held.values())
    assert json.loads((out / "longmemeval.json").read_text())["questions"] == 5
    assert "## user turns: all (n=5)" in (out / "longmemeval.md").read_text()
