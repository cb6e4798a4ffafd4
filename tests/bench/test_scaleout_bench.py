"""The scale-out bench, small, on both backends."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from memstrata.bench.scaleout import run_scaleout


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_small_scaleout_run_measures_cold_and_warm_search(tmp_path: Path, backend: str) -> None:
    result = run_scaleout(tmp_path, 1500, 3, 12, backend, Console(file=io.StringIO()))
    assert result["episodes"] == 1500 and result["ingest msg/s"] > 0
    assert result["cold searches"] == 3 and result["warm searches"] == 9
    assert (tmp_path / f"scaleout-{backend}-1500.md").exists()
