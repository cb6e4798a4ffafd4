"""The ingest bench on a tiny folder in LongMemEval's format: every layout runs
end to end, the deferred one with a real worker process, and a rerun of one
layout keeps the others' results."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console

from memstrata.bench.ingest import run_ingest
from tests.bench.longmemeval_folder import write_folder


def test_every_layout_runs_and_a_rerun_keeps_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("memstrata.bench.ingest.SEARCHES", 10)
    monkeypatch.setattr("memstrata.bench.ingest.SINGLE_ADDS", 5)
    data, out = tmp_path / "data", tmp_path / "out"
    write_folder(data)
    out.mkdir()
    console = Console(quiet=True)
    first = run_ingest(data, out, ["haystacks", "deferred"], console, haystacks=3)
    assert [r["layout"] for r in first] == ["haystacks", "deferred"]
    inline, deferred = first
    assert inline["messages"] == deferred["messages"] == 24
    assert inline["per_1000_messages"]["facts"] > 0
    assert deferred["per_1000_messages"] == inline["per_1000_messages"]  # all extracted
    assert 0 < deferred["embedded_after_s"] <= deferred["structured_after_s"] + 1
    assert deferred["structured_after_s"] > 0 and deferred["ingest"]["messages_per_s"] > 0
    again = run_ingest(data, out, ["many"], console, small=2)
    assert [r["layout"] for r in again] == ["haystacks", "many", "deferred"]
    assert json.loads((out / "ingest.json").read_text())[0] == json.loads(json.dumps(inline))
    table = (out / "ingest.md").read_text()
    assert "| many |" in table and "extraction off the add() path" in table
