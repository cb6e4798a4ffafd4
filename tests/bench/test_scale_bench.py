"""The scale bench's measurement on a small size, in this process."""

from __future__ import annotations

import pytest

from memstrata.bench import scale_embedder
from memstrata.bench.scale import measure, render_markdown
from memstrata.testing.synthetic import ChatGenerator, vocabulary


def test_generator_is_seeded_and_chat_like() -> None:
    first, second = ChatGenerator().messages(0, 50), ChatGenerator().messages(0, 50)
    assert first == second
    assert all(12 <= len(str(m["content"]).split()) <= 28 for m in first)
    assert len(set(vocabulary(5000))) == 5000


def test_measure_reports_every_figure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MEMSTRATA_EMBEDDER", raising=False)
    result = measure(500, 5)
    assert result["n"] == 500 and result["ingest"]["messages_per_s"] > 0
    assert result["embedder"] == "minilm-static-256"  # the scale benches' model unless named
    assert set(result["search_ms"]) == {
        "bm25",
        "dense",
        "memstrata",
        "numpy exact (baseline)",
        "sqlite fts5 bm25 (baseline)",
    }
    assert result["dense_recall_at_10"] == 1.0 and not result["uses_ann"]
    assert result["add_one_ms"]["p95"] >= result["add_one_ms"]["p50"] > 0
    assert result["bytes_per_episode"] > 0
    assert "| 500 | memstrata |" in render_markdown([result])


def test_the_scale_benches_embed_with_the_model_named_or_the_static_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MEMSTRATA_EMBEDDER", raising=False)
    assert scale_embedder() == "minilm-static"
    monkeypatch.setenv("MEMSTRATA_EMBEDDER", "e5-small")
    assert scale_embedder() == "e5-small"
