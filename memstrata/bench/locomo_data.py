"""Loading LoCoMo (locomo10.json) into turns and scored questions.

Evidence ids are normalised as the data README describes: several ids in one
string are split, "D:11:26" reads D11:26, "D30:05" reads D30:5, and ids that
resolve to no turn are dropped (questions left with none are skipped).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

_SESSION_KEY = re.compile(r"^session_(\d+)$")
_EVIDENCE = re.compile(r"D:?(\d+):0*(\d+)")


@dataclass(frozen=True, slots=True)
class Turn:
    dia_id: str
    session: int
    speaker: str
    text: str
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class Question:
    text: str
    category: int
    evidence: frozenset[str]
    answer: str = ""  # the gold answer (category 5 has none)


@dataclass(frozen=True, slots=True)
class Conversation:
    sample_id: str
    turns: tuple[Turn, ...]
    questions: tuple[Question, ...]
    dropped_evidence: int
    skipped_questions: int


def parse_session_time(raw: str) -> datetime:
    """'1:56 pm on 8 May, 2023' -> an aware UTC datetime."""
    return datetime.strptime(raw.strip(), "%I:%M %p on %d %B, %Y").replace(tzinfo=UTC)


def turn_text(turn: dict[str, str]) -> str:
    """The turn's words, with the caption of a shared image appended."""
    caption = turn.get("blip_caption")
    return f"{turn['text']} [shares an image: {caption}]" if caption else turn["text"]


def _turns(conversation: dict[str, object]) -> list[Turn]:
    turns: list[Turn] = []
    numbers = sorted(int(m.group(1)) for key in conversation if (m := _SESSION_KEY.match(key)))
    for number in numbers:
        when = parse_session_time(str(conversation[f"session_{number}_date_time"]))
        session = conversation[f"session_{number}"]
        if not isinstance(session, list):
            raise ValueError(f"session_{number} is not a list of turns")
        for raw in session:
            turns.append(Turn(raw["dia_id"], number, raw["speaker"], turn_text(raw), when))
    return turns


def normalise_evidence(raw: list[str], known: set[str]) -> tuple[set[str], int]:
    found: set[str] = set()
    dropped = 0
    for item in raw:
        ids = [f"D{a}:{b}" for a, b in _EVIDENCE.findall(item)]
        dropped += 0 if ids else 1
        for dia_id in ids:
            if dia_id in known:
                found.add(dia_id)
            else:
                dropped += 1
    return found, dropped


def load_locomo(path: Path) -> list[Conversation]:
    samples = json.loads(path.read_text(encoding="utf-8"))
    result: list[Conversation] = []
    for sample in samples:
        turns = _turns(sample["conversation"])
        known = {t.dia_id for t in turns}
        questions: list[Question] = []
        dropped = skipped = 0
        for qa in sample["qa"]:
            evidence, lost = normalise_evidence(qa.get("evidence", []), known)
            dropped += lost
            if not evidence:
                skipped += 1
                continue
            questions.append(
                Question(
                    qa["question"],
                    int(qa["category"]),
                    frozenset(evidence),
                    str(qa.get("answer", "")),
                )
            )
        result.append(
            Conversation(sample["sample_id"], tuple(turns), tuple(questions), dropped, skipped)
        )
    return result
