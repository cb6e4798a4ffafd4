"""Reading the LongMemEval data folder (``../shared/data/longmemeval-dev``).

``questions.jsonl`` holds one question a line with its haystack (session ids
and their dates, in order); ``sessions.jsonl.gz`` holds every session's turns.
A question's history is its haystack's sessions in order, each turn dated
with its session's date.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from memstrata.validate import visible


@dataclass(frozen=True, slots=True)
class Turn:
    role: str
    content: str
    has_answer: bool


@dataclass(frozen=True, slots=True)
class Question:
    question_id: str
    question_type: str
    question: str
    asked_at: datetime
    answer: str
    answer_session_ids: tuple[str, ...]
    haystack: tuple[tuple[str, datetime], ...]  # (session id, when) in order

    @property
    def is_abstention(self) -> bool:
        return self.question_id.endswith("_abs")


def parse_date(text: str) -> datetime:
    """'2023/05/30 (Tue) 23:42' -> an aware UTC datetime."""
    day, _, rest = text.partition(" (")
    clock = rest.partition(") ")[2] or "00:00"
    return datetime.strptime(f"{day} {clock}", "%Y/%m/%d %H:%M").replace(tzinfo=UTC)


def _question(row: dict[str, Any]) -> Question:
    return Question(
        question_id=str(row["question_id"]),
        question_type=str(row["question_type"]),
        question=str(row["question"]),
        asked_at=parse_date(str(row["question_date"])),
        answer=str(row["answer"]),
        answer_session_ids=tuple(str(s) for s in row["answer_session_ids"]),
        haystack=tuple(
            (str(s), parse_date(str(d)))
            for s, d in zip(row["haystack_session_ids"], row["haystack_dates"], strict=True)
        ),
    )


def load_questions(folder: Path) -> list[Question]:
    with open(folder / "questions.jsonl", encoding="utf-8") as source:
        return [_question(json.loads(line)) for line in source if line.strip()]


def iter_sessions(
    folder: Path, wanted: Iterable[str] | None = None
) -> Iterator[tuple[str, list[Turn]]]:
    """(session id, turns) of every session, or of the ``wanted`` ones."""
    keep = None if wanted is None else set(wanted)
    with gzip.open(folder / "sessions.jsonl.gz", "rt", encoding="utf-8") as source:
        for line in source:
            row = json.loads(line)
            session_id = str(row["session_id"])
            if keep is not None and session_id not in keep:
                continue
            yield (
                session_id,
                [
                    Turn(str(t["role"]), str(t["content"]), bool(t.get("has_answer", False)))
                    for t in row["turns"]
                ],
            )


def load_sessions(folder: Path, wanted: Iterable[str] | None = None) -> dict[str, list[Turn]]:
    return dict(iter_sessions(folder, wanted))


def messages(turns: Iterable[Turn], when: datetime) -> list[dict[str, object]]:
    """A session's turns as messages for ``Memory.add`` (role and speaker the chat role)."""
    return [
        {"content": t.content, "role": t.role, "speaker": t.role, "occurred_at": when}
        for t in turns
        if visible(t.content)
    ]
