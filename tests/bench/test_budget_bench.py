"""`bench context` on tiny folders of both benchmarks: every block keeps to its
budget as the tokenizer counts it, and each system is scored at each budget."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console

from memstrata.bench.budget import BUDGETS, SYSTEMS, run_budget
from tests.bench.longmemeval_folder import write_folder
from tests.bench.test_locomo_bench import tiny_locomo


def test_the_context_bench_scores_every_system_within_each_budget(tmp_path: Path) -> None:
    data, out = tmp_path / "lme", tmp_path / "out"
    write_folder(data, questions=4, sessions=3, abstention=True)
    out.mkdir()
    locomo = tiny_locomo(tmp_path / "locomo.json")
    result = run_budget(locomo, data, out, None, "cl100k", Console(quiet=True))
    assert result["tokenizer"] == "cl100k"
    assert set(result["summary"]) == {"LoCoMo", "LongMemEval-dev"}
    for systems in result["summary"].values():
        assert set(systems) == set(SYSTEMS)
        for budget in BUDGETS:
            row = systems["memstrata context()"][str(budget)]
            assert row["over"] == 0 and row["tokens_max"] <= budget
            assert 0 <= systems["bm25 top turns"][str(budget)]["recall"] <= 100
    lme = result["summary"]["LongMemEval-dev"]["memstrata context()"]["2000"]
    assert lme["questions"] == 4 and lme["recall"] == 100.0
    saved = json.loads((out / "context-budget.json").read_text())
    assert saved["summary"] == result["summary"]
    assert (
        "evidence within a token budget (cl100k tokens" in (out / "context-budget.md").read_text()
    )
