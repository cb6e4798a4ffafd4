"""The CLI as a new user meets it: missing stores, files of every shape, honest
progress and plain answers where there is nothing to show."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from tests.cli.test_cli import Cli


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    return Cli(tmp_path / "cli.db", capsys, monkeypatch)


def lines(*messages: Mapping[str, object]) -> str:
    return "\n".join(json.dumps(m) for m in messages) + "\n"


def test_reading_commands_name_a_missing_store_and_create_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    typo = Cli(tmp_path / "typo" / "dir" / "x.db", capsys, monkeypatch)
    for command in (["search", "x"], ["stats"], ["facts"], ["export"], ["notes"]):
        err = typo(*command, code=3)
        assert "store" in err and "x.db" in err and "not found" in err
    assert not (tmp_path / "typo").exists()
    assert "added 1" in typo("add", "now it exists")
    assert "now it exists" in typo("search", "exists")


def test_export_to_a_missing_folder_is_a_typed_error(cli: Cli, tmp_path: Path) -> None:
    cli("add", "one")
    err = cli("export", "--out", str(tmp_path / "missing" / "x.jsonl"), code=2)
    assert "folder" in err and "does not exist" in err and "Traceback" not in err


@pytest.mark.parametrize("name", ["m.ndjson", "m.txt", "m", "m.json"])
def test_jsonl_is_read_whatever_the_file_is_called(cli: Cli, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text(lines({"content": "tea"}, {"content": "coffee"}))
    assert "added 2 episode(s)" in cli("add", "--file", str(path))


def test_a_bad_line_is_named_with_its_line_and_column(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    path.write_text(lines({"content": "fine"}) + '{"content": "broken"\n')
    err = cli("add", "--file", str(path), code=2)
    assert "line 2, column" in err
    assert "store" in cli("stats", code=3)  # nothing was stored, not even the store


def test_a_byte_order_mark_and_stdin_are_read(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + lines({"content": "with a mark"}).encode())
    assert "added 1 episode(s)" in cli("add", "--file", str(path))
    stdin = io.TextIOWrapper(io.BytesIO(lines({"content": "from a pipe"}).encode()))
    monkeypatch.setattr(sys, "stdin", stdin)
    assert "added 1 episode(s)" in cli("add", "--file", "-")
    assert "from a pipe" in cli("search", "pipe")


def test_invalid_utf8_is_reported_by_line(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    path.write_bytes(lines({"content": "fine"}).encode() + b'{"content": "caf\xc3("}\n')
    err = cli("add", "--file", str(path), code=2)
    assert "not valid UTF-8 at line 2, column 17" in err


def test_add_file_says_what_is_durable_and_a_rerun_what_is_stored(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    said = [{"id": f"m{i}", "content": f"message number {i}"} for i in range(3)]
    path.write_text(lines(*said[:2]))
    cli("add", "--file", str(path))
    progress = cli.err
    assert "messages 1-2 of 2 stored and durable (2 new, 0 already present;" in progress
    path.write_text(lines(*said))
    printed = cli("add", "--file", str(path))
    assert "added 1 episode(s)" in printed and "already present: 2 episode(s)" in printed
    assert "2 of 3 messages are already stored (by id)" in cli.err


def test_other_content_under_a_stored_id_is_a_conflict(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    path.write_text(lines({"id": "d1", "content": "first"}, {"id": "d1", "content": "second"}))
    err = cli("add", "--file", str(path), code=5)
    assert "conflict" in err and "'d1'" in err
    assert json.loads(cli("stats", "--json"))["namespaces"] == []


def test_an_export_reads_back_after_a_purge(cli: Cli, tmp_path: Path) -> None:
    cli("add", "I live in Paris", "--speaker", "Ana")
    dump = tmp_path / "dump.jsonl"
    cli("export", "--out", str(dump))
    cli("purge", "--everything", "--yes")
    assert "added 1 episode(s)" in cli("add", "--file", str(dump))
    cli("purge", "--everything", "--yes")
    assert "added 1, skipped 0" in cli("import", str(dump))
    assert "Ana: I live in Paris" in cli("search", "Paris")


def test_import_into_another_namespace(cli: Cli, tmp_path: Path) -> None:
    cli("add", "one")
    dump = tmp_path / "dump.jsonl"
    cli("export", "--out", str(dump))
    assert "added 1, skipped 0" in cli("--namespace", "copy", "import", str(dump))
    assert cli("namespaces").split() == ["copy", "default"]


def test_stats_is_a_table_and_json(cli: Cli) -> None:
    cli("add", "I moved to Lyon", "--speaker", "Ana")
    table = cli("stats")
    assert "namespace" in table and "episodes" in table and "NamespaceStats(" not in table
    assert json.loads(cli("stats", "--json"))["namespaces"][0]["episodes"] == 1


def test_empty_answers_say_so(cli: Cli) -> None:
    cli("add", "hello")
    assert "no open tasks" in cli("task", "show")
    assert "not found" in cli("history", "fact", "nope", code=3)
    assert "no job was waiting" in cli("jobs", "--run")
    assert "(no jobs)" in cli("jobs")


def test_piped_output_keeps_long_lines_whole(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    word = "x" * 150
    cli("add", f"{word} end")
    assert f"{word} end" in cli("search", word)
