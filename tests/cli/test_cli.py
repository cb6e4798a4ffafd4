"""The CLI, run in-process through main(): output, JSON and exit codes."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from memstrata.cli.main import main
from memstrata.providers.registry import default_embedder


class Cli:
    def __init__(
        self,
        db: Path,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
        embedder: str | None = "hash",
    ):
        self.db = db
        self.err = ""  # what the last call printed on stderr
        self.embedder = embedder
        self.capsys = capsys
        self.monkeypatch = monkeypatch

    def __call__(self, *args: str, code: int = 0) -> str:
        chosen = [] if self.embedder is None else ["--embedder", self.embedder]
        argv = ["memstrata", "--db", str(self.db), *chosen, *args]
        self.monkeypatch.setattr(sys, "argv", argv)
        with pytest.raises(SystemExit) as info:
            main()
        captured = self.capsys.readouterr()
        self.err = captured.err
        assert info.value.code == code, captured.err
        return captured.out if code == 0 else captured.err


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.setenv("COLUMNS", "200")
    return Cli(tmp_path / "cli.db", capsys, monkeypatch)


def test_add_then_search_as_json(cli: Cli) -> None:
    cli(
        "add",
        "I moved to Lyon",
        "--speaker",
        "Ana",
        "--occurred-at",
        "2023-05-08T13:56:00+00:00",
        "--meta",
        "turn=3",
        "--meta",
        "source=chat",
    )
    (hit,) = json.loads(cli("search", "Lyon", "--json", "--limit", "1"))
    assert hit["text"] == "I moved to Lyon" and hit["speaker"] == "Ana"
    assert hit["occurred_at"] == "2023-05-08T13:56:00+00:00"
    assert hit["metadata"] == {"turn": 3, "source": "chat"}
    assert hit["ranks"]["bm25"] == 1


def test_search_prints_dated_hits_with_provenance(cli: Cli) -> None:
    cli(
        "add",
        "We booked a trip to Japan",
        "--session",
        "s3",
        "--occurred-at",
        "2023-06-21T20:05:00+00:00",
    )
    out = cli("search", "trip to Japan")
    assert "[2023-06-21 20:05] We booked a trip to Japan" in out
    assert "session s3" in out and "bm25#1" in out


def test_context_prints_the_fenced_block_and_answer_needs_a_reader(cli: Cli) -> None:
    cli("add", "I moved to Lyon", "--speaker", "Ana", "--occurred-at", "2023-05-08T13:56:00Z")
    out = cli("context", "Where does Ana live now?", "--now", "2023-09-01T00:00:00Z")
    assert out.startswith("```memory") and "## 2023-05-08 13:56\n[2] Ana: I moved to Lyon" in out
    assert "[1] Ana lives_in Lyon (since 2023-05-08" in out
    block = json.loads(cli("context", "Lyon", "--tokenizer", "o200k", "--budget", "300", "--json"))
    assert block["tokenizer"] == "o200k" and block["tokens"] <= block["token_budget"] == 300
    assert [r["kind"] for r in block["refs"]] == ["fact", "episode"]
    assert "unknown tokenizer" in cli("context", "Lyon", "--tokenizer", "gpt-17", code=2)
    assert "llm_url" in cli("answer", "Where does Ana live now?", code=2)
    assert "timezone-aware" in cli("search", "Lyon", "--now", "2023-09-01T00:00:00", code=2)


def test_add_file_of_messages_with_filters(cli: Cli, tmp_path: Path) -> None:
    jsonl = tmp_path / "m.jsonl"
    jsonl.write_text(
        "\n".join(
            json.dumps(m)
            for m in [
                {
                    "content": "tea in the morning",
                    "speaker": "Ana",
                    "occurred_at": "2023-01-01T08:00:00Z",
                },
                {"content": "tea at night", "speaker": "Bo", "occurred_at": "2023-02-01T22:00:00Z"},
            ]
        )
    )
    as_json = tmp_path / "m.json"
    as_json.write_text(json.dumps({"messages": [{"content": "green tea", "speaker": "Ana"}]}))
    assert "added 2 episode(s)" in cli("add", "--file", str(jsonl))
    assert "added 1 episode(s)" in cli("add", "--file", str(as_json))
    hits = json.loads(cli("search", "tea", "--json", "--speaker", "Bo"))
    assert [h["text"] for h in hits] == ["tea at night"]
    hits = json.loads(cli("search", "tea", "--json", "--until", "2023-01-15T00:00:00+00:00"))
    assert [h["text"] for h in hits] == ["tea in the morning"]


def test_export_import_stats_and_namespaces(cli: Cli, tmp_path: Path) -> None:
    cli("add", "one")
    cli("--namespace", "other", "add", "two")
    dump = tmp_path / "dump.jsonl"
    cli("export", "--all", "--out", str(dump))
    assert len(dump.read_text().splitlines()) == 2
    other = Cli(tmp_path / "copy.db", cli.capsys, cli.monkeypatch)
    assert "added 2, skipped 0" in other("import", str(dump))
    assert "added 0, skipped 2" in other("import", str(dump))
    assert other("namespaces").split() == ["default", "other"]
    stats = json.loads(other("stats", "--json"))
    assert [n["episodes"] for n in stats["namespaces"]] == [1, 1]


def test_add_file_and_import_on_worker_processes(cli: Cli, tmp_path: Path) -> None:
    said = tmp_path / "said.jsonl"
    lines = [{"content": "I moved to Lyon last spring.", "speaker": "Ana"}]
    said.write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert "added 1 episode(s)" in cli("add", "--file", str(said), "--workers", "1")
    facts = json.loads(cli("facts", "--json"))
    assert [(f["predicate"], f["object"]) for f in facts] == [("lives_in", "Lyon")]
    dump = tmp_path / "dump.jsonl"
    cli("export", "--all", "--out", str(dump))
    other = Cli(tmp_path / "copy.db", cli.capsys, cli.monkeypatch)
    assert "added 1, skipped 0" in other("import", str(dump), "--workers", "2")
    assert json.loads(other("facts", "--json")) != []
    assert "--workers" in cli("add", "--file", str(said), "--workers", "-1", code=2)


def test_delete_restore_get_and_purge(cli: Cli) -> None:
    (episode_id,) = cli("add", "forget me").split()[-1:]
    cli("delete", episode_id)
    assert json.loads(cli("get", episode_id, "--json"))["deleted_at"] is not None
    cli("restore", episode_id)
    assert "pass --yes" in cli("purge", episode_id, code=2)
    assert "purged 1" in cli("purge", episode_id, "--yes")
    assert "not found" in cli("get", episode_id, code=3)


def test_bad_input_gives_a_message_and_exit_code_2(cli: Cli) -> None:
    err = cli("add", "hello", "--occurred-at", "2023-01-01T10:00:00", code=2)
    assert "invalid_input" in err and "timezone-aware" in err
    assert "empty" in cli("add", "   ", code=2)
    assert "key=value" in cli("add", "x", "--meta", "novalue", code=2)
    assert "give the TEXT to remember" in cli("add", code=2)
    assert "not both" in cli("add", "x", "--file", "f.json", code=2)


def test_flush_and_reembed(cli: Cli) -> None:
    cli("add", "something")
    assert "embedded 0" in cli("flush")
    assert "hash-64" in cli("reembed")


def test_reembed_with_the_auto_embedder_moves_a_store_to_the_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MEMSTRATA_EMBEDDER", raising=False)
    Cli(tmp_path / "s.db", capsys, monkeypatch, "minilm-static")("add", "I adopted a kitten")
    auto = Cli(tmp_path / "s.db", capsys, monkeypatch, embedder=None)
    assert "minilm-static-256" in auto("stats")  # auto opens it with its own model
    default = "e5-small-q4" if default_embedder() == "e5-small" else "minilm-static-256"
    assert f"store now uses {default}" in auto("reembed")
    assert default in auto("stats")


def test_demo_ingests_the_sample_and_answers(cli: Cli) -> None:
    out = cli("demo")
    assert "21 episodes" in out
    assert "embedded with hash-64" in out and "only their order counts" in out
    assert "[2025-03-02 18:10] Maya: By the way, I'm allergic to peanuts" in out
    assert "id sample-s1-06" in out
    assert "Maya works_at Boulangerie Martin" in out and "Events" in out
    assert "```memory" in out and "a flat in Lyon, I move there from Paris" in out
    again = cli("demo")  # idempotent by id
    assert "21 episodes" in again


def test_a_rerun_file_reports_what_was_already_present(cli: Cli, tmp_path: Path) -> None:
    jsonl = tmp_path / "m.jsonl"
    lines = [{"id": f"m{i}", "content": f"message number {i}", "speaker": "Ana"} for i in range(3)]
    jsonl.write_text("\n".join(json.dumps(m) for m in lines[:2]))
    assert "added 2 episode(s)" in cli("add", "--file", str(jsonl))
    jsonl.write_text("\n".join(json.dumps(m) for m in lines))  # the run, resumed
    printed = cli("add", "--file", str(jsonl))
    assert "added 1 episode(s)" in printed and "already present: 2 episode(s)" in printed


def test_options_named_like_the_library_and_their_old_names_still_work(cli: Cli) -> None:
    cli("add", "We booked a trip to Japan", "--session-id", "s3", "--metadata", "topic=travel")
    cli("add", "A trip to Rome, maybe", "--session", "s4", "--meta", "topic=dream")
    found = json.loads(cli("search", "trip", "--json", "--session-id", "s3"))
    assert [h["text"] for h in found] == ["We booked a trip to Japan"]
    old = json.loads(cli("search", "trip", "--json", "--session", "s4"))
    assert [h["metadata"] for h in old] == [{"topic": "dream"}]
    dream = json.loads(cli("search", "trip", "--json", "--metadata", "topic=dream"))
    assert [h["session_id"] for h in dream] == ["s4"]
    block = json.loads(
        cli("context", "trip", "--json", "--token-budget", "300", "--session-id", "s3")
    )
    assert block["token_budget"] == 300 and "Rome" not in block["text"]
    assert json.loads(cli("context", "trip", "--json", "--budget", "250"))["token_budget"] == 250
    assert "--token-budget" in cli(
        "context", "trip", "--session-id", "s3", "--token-budget", "300", "--budget", "9", code=2
    )
    shown = cli("search", "--help")
    assert "--session-id" in shown and "--metadata" in shown and "--meta " not in shown
