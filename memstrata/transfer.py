"""JSONL export and import of episodes (one JSON object per line)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import TextIO

from memstrata import validate
from memstrata.errors import InvalidInput
from memstrata.model import Episode, JSONValue

FORMAT = "memstrata.episode.v1"


def episode_to_json(episode: Episode) -> str:
    record: dict[str, JSONValue] = {
        "format": FORMAT,
        "id": episode.id,
        "namespace": episode.namespace,
        "content": episode.content,
        "occurred_at": episode.occurred_at.isoformat(),
        "recorded_at": episode.recorded_at.isoformat(),
        "session_id": episode.session_id,
        "speaker": episode.speaker,
        "role": episode.role,
        "metadata": dict(episode.metadata),
        "deleted_at": None if episode.deleted_at is None else episode.deleted_at.isoformat(),
    }
    return json.dumps(record, ensure_ascii=False)


def episode_from_json(line: str, line_number: int, max_chars: int) -> Episode:
    """Parse and validate one exported line; InvalidInput names the line."""
    where = f"line {line_number}"
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"is not JSON ({exc.msg})", field=where) from exc
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise InvalidInput(f"is not a {FORMAT} record", field=where)
    deleted = record.get("deleted_at")
    return Episode(
        id=validate.identifier(record.get("id"), f"{where}.id"),
        namespace=validate.namespace(record.get("namespace"), f"{where}.namespace"),
        content=validate.text(record.get("content"), f"{where}.content", max_chars),
        occurred_at=validate.aware_utc(record.get("occurred_at"), f"{where}.occurred_at"),
        recorded_at=validate.aware_utc(record.get("recorded_at"), f"{where}.recorded_at"),
        session_id=validate.label(record.get("session_id"), f"{where}.session_id"),
        speaker=validate.label(record.get("speaker"), f"{where}.speaker"),
        role=validate.label(record.get("role"), f"{where}.role"),
        metadata=validate.metadata(record.get("metadata"), f"{where}.metadata"),
        deleted_at=None if deleted is None else validate.aware_utc(deleted, f"{where}.deleted_at"),
    )


def write_jsonl(episodes: Iterable[Episode], out: TextIO) -> int:
    count = 0
    for episode in episodes:
        out.write(episode_to_json(episode) + "\n")
        count += 1
    return count


def read_jsonl(source: Iterable[str], max_chars: int) -> Iterator[Episode]:
    """Episodes of JSONL lines (a text file or a list of lines)."""
    for number, line in enumerate(source, start=1):
        if line.strip():
            yield episode_from_json(line, number, max_chars)
