"""The dynamics bench on a tiny conversation in LoCoMo's format."""

from __future__ import annotations

import io
import json
from pathlib import Path

from rich.console import Console

from memstrata.bench.dynamics import run_dynamics
from memstrata.bench.locomo_data import load_locomo
from tests.bench.test_locomo_bench import tiny_locomo


def test_rounds_lose_nothing_and_a_killed_round_resumes_to_the_same_state(
    tmp_path: Path,
) -> None:
    data = tiny_locomo(tmp_path / "locomo.json")
    console = Console(file=io.StringIO(), width=200)
    result = run_dynamics(data, tmp_path, None, 2, console, kill_points=(0.0, 0.5))
    before, after = result["before"], result["after"]
    assert before["notes traceable"] == after["notes traceable"] > 0
    assert before["facts traceable"] == after["facts traceable"]
    assert after["R@10"] >= before["R@10"] and after["summaries"] > 0
    assert [r["round"] for r in result["rounds"]] == [1, 2]
    for trial in result["kill test"]["trials"]:
        assert trial["all done"] and trial["same as uninterrupted"]
        assert trial["duplicate summaries"] == trial["half-written summaries"] == 0
    saved = json.loads((tmp_path / "dynamics.json").read_text())
    assert saved["conversations"] == len(load_locomo(data))
    assert "SIGKILL" in (tmp_path / "dynamics.md").read_text()
