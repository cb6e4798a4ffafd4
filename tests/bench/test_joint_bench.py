"""`bench ranker` on tiny LoCoMo and LongMemEval folders: every view is there,
figures are percentages, and --save-model writes a ranker search can load."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from rich.console import Console

from memstrata.bench.joint import in_pool, run_joint
from memstrata.bench.learn import QuestionRows
from memstrata.retrieve.ranker import Ranker
from memstrata.retrieve.recall import FEATURES
from tests.bench.longmemeval_folder import write_folder
from tests.bench.test_locomo_bench import tiny_locomo


def test_every_view_is_held_out_and_the_joint_model_is_saved(tmp_path: Path) -> None:
    locomo = tiny_locomo(tmp_path / "locomo.json")
    data, out = tmp_path / "lme", tmp_path / "out"
    write_folder(data, questions=6, sessions=3)
    out.mkdir()
    model = tmp_path / "ranker.json"
    result = run_joint(locomo, data, out, None, Console(quiet=True), save_model=model)
    assert result["longmemeval_questions"] == 6
    views = result["views"]
    assert set(views) == {
        "shipped ranker",
        "RRF of the retrievers (no ranker)",
        "fitted on the other benchmark",
        "fitted on the other, the linear part alone",
        "within each benchmark (its own folds)",
        "joint (folds of both)",
        "joint, the linear part alone",
    }
    for figures in views.values():
        assert set(figures) >= {"LoCoMo R@10", "LongMemEval R@10", "LongMemEval all@5"}
        assert all(0.0 <= v <= 100.0 for v in figures.values())
    assert views["shipped ranker"]["LongMemEval R@10"] == 100.0  # the tiny haystacks are easy
    assert result["evidence_in_pool"]["LongMemEval"] == 100.0
    assert 0.0 < result["evidence_in_pool"]["LoCoMo"] <= 100.0
    saved = Ranker.load(model)
    assert saved.features == FEATURES and "reply" in saved.features
    assert saved.trees is not None and saved.blend == 0.5  # the trees travel with it
    assert json.loads((out / "ranker-fit.json").read_text())["views"] == views


def test_evidence_in_pool_counts_each_question_alike() -> None:
    def question(ids: tuple[str, ...], evidence: set[str]) -> QuestionRows:
        empty = np.zeros((len(ids), len(FEATURES)))
        flat = np.zeros(len(ids))
        return QuestionRows(0, 1, frozenset(evidence), ids, empty, flat.astype(int), flat, {})

    rows = [question(("a", "c"), {"a", "b"}), question(("x",), {"x"}), question(("y",), set())]
    assert in_pool(rows) == 75.0  # (1/2 + 1) / 2; no evidence: left out
