"""A tiny folder in LongMemEval's format (questions.jsonl, sessions.jsonl.gz)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

TOPICS = ["hiking boots", "sourdough", "my dog Rex", "a trip to Lisbon", "violin lessons"]
TYPES = ["single-session-user", "multi-session"]


def write_folder(
    folder: Path, questions: int = 3, sessions: int = 4, abstention: bool = False
) -> None:
    """``questions`` questions, each with ``sessions`` sessions of its own; the
    first session's user turn is the evidence (``has_answer``). With
    ``abstention``, one more question whose id ends in ``_abs``."""
    rows, questions_out = [], []
    for q in range(questions + int(abstention)):
        ids = [f"s{q:02d}{s:02d}aa55" for s in range(sessions)]
        for s, session_id in enumerate(ids):
            topic = TOPICS[(q + s) % len(TOPICS)]
            turns = [
                {
                    "role": "user",
                    "content": f"I moved to Porto and I need advice on {topic}.",
                    "has_answer": s == 0,
                },
                {"role": "assistant", "content": f"## {topic.title()}\n\n1. **Start**: slowly."},
                {"role": "user", "content": "\u200b"},  # the data holds turns with nothing to show
            ]
            rows.append({"session_id": session_id, "turns": turns})
        questions_out.append(
            {
                "question_id": f"q{q}" + ("_abs" if q == questions else ""),
                "question_type": TYPES[q % len(TYPES)],
                "question": f"What did I ask about {TOPICS[q % len(TOPICS)]}?",
                "question_date": "2023/06/01 (Thu) 10:00",
                "answer": TOPICS[q % len(TOPICS)],
                "answer_session_ids": ids[:1],
                "haystack_session_ids": ids,
                "haystack_dates": [f"2023/05/0{s + 1} (Mon) 09:00" for s in range(sessions)],
            }
        )
    folder.mkdir()
    with gzip.open(folder / "sessions.jsonl.gz", "wt", encoding="utf-8") as out:
        out.writelines(json.dumps(row) + "\n" for row in rows)
    (folder / "questions.jsonl").write_text(
        "".join(json.dumps(q) + "\n" for q in questions_out), encoding="utf-8"
    )
