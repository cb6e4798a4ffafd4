"""The load bench, briefly: a real server process, writers and readers on loopback."""

from __future__ import annotations

import io
import json
from pathlib import Path

from rich.console import Console

from memstrata.bench.load import run_load


def test_a_short_load_run_loses_nothing_and_errs_nowhere(tmp_path: Path) -> None:
    result = run_load(tmp_path, 3, 2, 2, 1, Console(file=io.StringIO()))
    assert result["acknowledged episodes"] > 0 and result["lost acknowledged episodes"] == 0
    assert result["errors"] == 0, result["error samples"]
    assert {"POST episodes", "POST search"} <= set(result["routes"])
    assert json.loads((tmp_path / "load.json").read_text())["writers"] == 2
