"""The extraction evaluation and the scenario bench, on small inputs."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from memstrata.bench.extraction import evaluate
from memstrata.bench.scenarios import run_scenarios, scenarios

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "extraction_labelled.jsonl"


def test_the_labelled_fixture_has_150_sentences_with_labels() -> None:
    rows = [json.loads(line) for line in FIXTURE.read_text().splitlines()]
    assert len(rows) >= 150
    assert all({"speaker", "text", "facts", "kind", "entities"} <= set(r) for r in rows)
    assert {r["kind"] for r in rows} == {"fact", "preference", "plan", "event", "opinion", None}


def test_evaluate_counts_by_hand() -> None:
    rows = [
        {
            "speaker": "Maya",
            "text": "I moved to Lyon.",
            "facts": [["Maya", "lives_in", "Lyon"]],
            "kind": "event",
            "entities": ["Lyon"],
        },
        {
            "speaker": "Maya",
            "text": "I live in Paris.",
            "facts": [["Maya", "lives_in", "Rome"]],
            "kind": "plan",
            "entities": [],
        },
    ]
    result = evaluate(rows)
    lives = result["facts"]["lives_in"]
    assert (lives["precision"], lives["recall"], lives["support"]) == (0.5, 0.5, 2.0)
    assert result["notes"]["event"]["precision"] == 1.0
    assert result["notes"]["plan"]["recall"] == 0.0
    assert result["entities"]["entity"]["precision"] == pytest.approx(0.5)


def test_scenarios_are_seeded_and_lose_no_facts(tmp_path: Path) -> None:
    assert [s.turns for s in scenarios(8)] == [s.turns for s in scenarios(8)]
    result = run_scenarios(tmp_path, 16, Console(file=io.StringIO()))
    assert result["facts_lost"] == 0 and result["checks"] > 16
    assert (tmp_path / "scenarios.md").exists()
