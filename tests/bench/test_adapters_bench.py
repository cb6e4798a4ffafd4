"""`bench adapters` on a tiny LongMemEval-format folder: every adapter and
operation is timed and written out."""

from __future__ import annotations

import json
from pathlib import Path

from memstrata.bench.adapters import run_adapters, user_turns
from tests.bench.longmemeval_folder import write_folder


def test_every_adapter_operation_is_timed_and_written(tmp_path: Path) -> None:
    data, out = tmp_path / "lme", tmp_path / "out"
    write_folder(data, questions=2, sessions=3)
    assert len(user_turns(data, 100)) == 6  # the invisible turns are left out
    said: list[str] = []
    rows = run_adapters(data, out, [4], said.append)
    assert said == ["langgraph: 4 items", "mem0: 4 items", "agents: 4 items"]
    operations = {(r["adapter"], r["operation"]) for r in rows}
    assert ("langgraph MemstrataStore", "search(query)") in operations
    assert ("langgraph InMemoryStore", "get") in operations
    assert ("mem0 surface", "add(infer=True)") in operations
    assert ("agents session", "get_items(20)") in operations
    assert all(r["items"] == 4 and r["p50"] >= 0 for r in rows)
    written = json.loads((out / "adapters.json").read_text())
    assert written["sizes"] == [4] and len(written["rows"]) == len(rows)
    assert "| mem0 surface | search | 4 |" in (out / "adapters.md").read_text()
