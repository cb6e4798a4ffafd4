"""The LoCoMo bench on a tiny conversation in LoCoMo's format, made here."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from memstrata.bench.locomo import run_locomo
from memstrata.bench.locomo_data import load_locomo, normalise_evidence, parse_session_time
from memstrata.bench.metrics import hit_at, ndcg_at, percentile, question_metrics, recall_at
from memstrata.retrieve.ranker import Ranker
from memstrata.retrieve.recall import FEATURES


def tiny_locomo(path: Path) -> Path:
    conversation = {
        "speaker_a": "Ana",
        "speaker_b": "Bo",
        "session_1_date_time": "1:56 pm on 8 May, 2023",
        "session_1": [
            {"speaker": "Ana", "dia_id": "D1:1", "text": "I adopted a puppy named Biscuit."},
            {
                "speaker": "Bo",
                "dia_id": "D1:2",
                "text": "Lovely! I started pottery classes.",
                "blip_caption": "a photo of a clay bowl",
            },
        ],
        "session_2_date_time": "10:00 am on 1 June, 2023",
        "session_2": [
            {"speaker": "Ana", "dia_id": "D2:1", "text": "Biscuit chewed my running shoes."},
            {"speaker": "Bo", "dia_id": "D2:2", "text": "My bowl won a prize at the fair."},
        ],
    }
    qa = [
        {
            "question": "What is the name of Ana's puppy?",
            "answer": "Biscuit",
            "evidence": ["D1:1"],
            "category": 4,
        },
        {
            "question": "What did Bo make in pottery class?",
            "answer": "a bowl",
            "evidence": ["D1:2; D2:2"],
            "category": 1,
        },
        {
            "question": "When did the puppy chew the shoes?",
            "answer": "June 2023",
            "evidence": ["D:2:01"],
            "category": 2,
        },
        {
            "question": "What did Ana win?",
            "adversarial_answer": "a prize",
            "evidence": ["D2:2", "D9:9"],
            "category": 5,
        },
        {"question": "Unscorable", "answer": "x", "evidence": [], "category": 3},
    ]
    samples = [{"sample_id": f"conv-{i}", "conversation": conversation, "qa": qa} for i in "tu"]
    path.write_text(json.dumps(samples))
    return path


def test_loader_normalises_evidence_and_counts_defects(tmp_path: Path) -> None:
    conv, _ = load_locomo(tiny_locomo(tmp_path / "l.json"))
    assert [t.dia_id for t in conv.turns] == ["D1:1", "D1:2", "D2:1", "D2:2"]
    assert conv.turns[1].text.endswith("[shares an image: a photo of a clay bowl]")
    assert [sorted(q.evidence) for q in conv.questions] == [
        ["D1:1"],
        ["D1:2", "D2:2"],
        ["D2:1"],
        ["D2:2"],
    ]
    assert (conv.dropped_evidence, conv.skipped_questions) == (1, 1)


def test_evidence_forms_from_the_data_readme() -> None:
    known = {"D8:6", "D9:17", "D9:1", "D4:4", "D4:6", "D11:26", "D30:5"}
    found, dropped = normalise_evidence(
        ["D8:6; D9:17", "D9:1 D4:4 D4:6", "D:11:26", "D30:05", "D", "D10:19"], known
    )
    assert found == known and dropped == 2


def test_session_time_parses_to_utc() -> None:
    assert parse_session_time("1:56 pm on 8 May, 2023").isoformat() == "2023-05-08T13:56:00+00:00"


def test_metrics_by_hand() -> None:
    ranked = ["a", "x", "b", "y"]
    assert recall_at(ranked, {"a", "b"}, 1) == 0.5 and recall_at(ranked, {"a", "b"}, 3) == 1.0
    assert hit_at(ranked, {"b"}, 2) == 0.0 and hit_at(ranked, {"b"}, 3) == 1.0
    assert ndcg_at(["a"], {"a"}, 10) == 1.0
    assert ndcg_at(["x", "a"], {"a"}, 10) == pytest.approx(1 / 1.5849625)
    row = question_metrics(ranked, {"a", "z"}, {"a": "s1", "z": "s2", "x": "s1"})
    assert row["SessR@10"] == 0.5 and row["R@20"] == 0.5
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.0 and percentile([5.0], 99) == 5.0


def test_run_locomo_writes_results_and_scores_every_system(tmp_path: Path) -> None:
    data = tiny_locomo(tmp_path / "l.json")
    model = tmp_path / "ranker.json"
    result = run_locomo(data, tmp_path / "out", None, Console(file=io.StringIO()), model)
    summary = result["summary"]
    assert set(summary) == {
        "memstrata",
        "memstrata held-out",
        "memstrata +1 round",
        "bm25",
        "dense",
        "rrf",
    }
    assert summary["memstrata"]["1-4 all"]["n"] == 6
    assert summary["memstrata held-out"]["1-4 all"]["n"] == 6
    assert summary["memstrata"]["5 adversarial"]["n"] == 2
    assert summary["bm25"]["4 single-hop"]["Hit@1"] == 100.0
    assert summary["memstrata"]["4 single-hop"]["Hit@1"] == 100.0
    for name in ("locomo.json", "locomo.md", "locomo.png"):
        assert (tmp_path / "out" / name).stat().st_size > 0
    markdown = (tmp_path / "out" / "locomo.md").read_text()
    assert "### 1-4 all (n=6)" in markdown and "- graph" in markdown
    assert set(result["ablations"]) >= {"all on", "- bm25", "- time", "- speakers"}
    assert set(result["budget_recall"]) == {"500", "1000", "2000"}
    assert Ranker.load(model).features == FEATURES


def test_on_postgres_the_database_full_text_ranking_is_scored_too(tmp_path: Path) -> None:
    data = tiny_locomo(tmp_path / "l.json")
    result = run_locomo(
        data, tmp_path / "out", 1, Console(file=io.StringIO()), ablations=False, backend="postgres"
    )
    summary = result["summary"]
    assert {"postgres ts_rank", "postgres ts_rank_cd"} <= set(summary)
    # "name of Ana's puppy" -> the turn naming Biscuit, by PostgreSQL's own ranking
    assert summary["postgres ts_rank_cd"]["4 single-hop"]["Hit@1"] == 100.0
    assert "| postgres ts_rank_cd |" in (tmp_path / "out" / "locomo.md").read_text()


def test_an_ablation_neutralises_a_retriever_and_drops_what_only_it_found() -> None:
    import numpy as np

    from memstrata.bench.learn import QuestionRows, without
    from memstrata.retrieve.recall import ABSENT_RANK, RETRIEVERS

    features = np.ones((3, len(FEATURES)))
    bm25, graph = 1 << RETRIEVERS.index("bm25"), 1 << RETRIEVERS.index("graph")
    rows = QuestionRows(
        0,
        4,
        frozenset({"a"}),
        ("a", "b", "c"),
        features,
        np.array([bm25 | graph, graph, bm25]),
        np.array([2.0, 0.0, 0.0]),
        {},
    )
    off = without(rows, "graph")
    assert off.ids == ("a", "c")  # b was found by the graph alone
    column = {
        name: off.features[:, FEATURES.index(name)] for name in ("graph", "graph_rr", "graph_lr")
    }
    assert (column["graph"] == 0).all() and (column["graph_rr"] == 1 / (5 + ABSENT_RANK)).all()
    assert (column["graph_lr"] == np.log1p(ABSENT_RANK)).all()
    assert (off.features[:, FEATURES.index("bm25")] == 1).all()
    assert without(rows, "time").adjust.tolist() == [0.0, 0.0, 0.0]
    assert without(rows, "speakers").features[:, FEATURES.index("speaker_named")].tolist() == [
        0,
        0,
        0,
    ]
