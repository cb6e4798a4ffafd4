"""The pgvector bench, small: every row measured, the graph found again by a new
process, the vectors left out of it."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from memstrata.bench.pgvector import run_pgvector


def test_a_small_pgvector_run_compares_both_sides(tmp_path: Path) -> None:
    result = run_pgvector(tmp_path, 600, 8, Console(file=io.StringIO()))
    rows = result["rows"]
    assert len(rows) == 11 and all(row["ms"]["p50"] > 0 for row in rows.values())
    assert rows["in process: exact (numpy)"]["recall@10"] == 1.0
    assert rows["PostgreSQL: pgvector HNSW, ef_search 512"]["recall@10"] >= 0.9
    assert rows["newest 5 %, PostgreSQL: exact over the selection"]["recall@10"] == 1.0
    assert result["served by the database"]
    held = result["vector bytes held by the process"]
    assert held["PostgreSQL"] == 0 and held["in process"] >= 600 * result["dimensions"] * 4
    assert (tmp_path / "pgvector-600.md").exists()
