"""Reading the files the CLI is handed: messages for ``add --file`` (JSON or
JSONL, from a path or ``-`` for stdin) and where ``export --out`` writes."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, TextIO

from memstrata.errors import InvalidInput
from memstrata.transfer import FORMAT

STDIN = "-"
# what an exported record holds beside a message's own fields
_EXPORT_ONLY = ("format", "namespace", "recorded_at", "deleted_at")


def read_messages(path: Path, field: str = "--file") -> list[dict[str, Any]]:
    """The messages of a JSON document (a list, or ``{"messages": [...]}``) or of
    JSONL (one message per line; memstrata's own export lines too), whatever the
    file is called. Errors name the line (and column) where the file goes wrong."""
    text = read_text(path, field)
    stripped = text.lstrip()
    if not stripped:
        raise InvalidInput(f"{_name(path)} holds no messages", field=field)
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError:
        data = _json_lines(text, path, field)  # not one document: one per line
    if isinstance(data, dict) and "messages" in data:
        data = data["messages"]
    elif isinstance(data, dict):
        data = [data]  # a JSONL file of one line
    if not isinstance(data, list):
        raise InvalidInput(
            "expected a list of messages, {'messages': [...]}, or one message per line",
            field=field,
        )
    return [_message(item, i) for i, item in enumerate(data)]


def read_text(path: Path, field: str) -> str:
    """A file's (or stdin's, for ``-``) text: UTF-8, a byte order mark dropped;
    undecodable bytes are an error naming their line and column."""
    try:
        raw = sys.stdin.buffer.read() if str(path) == STDIN else path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}", field=field) from exc
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]  # a UTF-8 byte order mark
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InvalidInput(
            f"{_name(path)} is not valid UTF-8 at line {line}, column {column} ({exc.reason})",
            field=field,
        ) from exc


def _json_lines(text: str, path: Path, field: str) -> list[Any]:
    lines: list[Any] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            lines.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise InvalidInput(
                f"{_name(path)} line {number}, column {exc.colno}: {exc.msg}", field=field
            ) from exc
    return lines


def _message(item: Any, index: int) -> Any:
    """A message as add() takes it; an exported record loses its export-only fields
    (a deleted one is refused: `import` restores an export with its deletions)."""
    if isinstance(item, dict) and item.get("format") == FORMAT:
        if item.get("deleted_at") is not None:
            raise InvalidInput(
                "is an exported episode that was deleted; `memstrata import` restores "
                "an export with its deletions",
                field=f"messages[{index}]",
            )
        return {k: v for k, v in item.items() if k not in _EXPORT_ONLY}
    return item


def _name(path: Path) -> str:
    return "stdin" if str(path) == STDIN else str(path)


def open_for_writing(path: Path, field: str = "--out") -> TextIO:
    """A file to write, or a typed error naming the folder that is missing."""
    if not path.parent.is_dir():
        raise InvalidInput(f"cannot write {path}: folder {path.parent} does not exist", field=field)
    try:
        return path.open("w", encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot write {path}: {exc.strerror or exc}", field=field) from exc
