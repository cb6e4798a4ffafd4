"""`memstrata bench user-facts`: offline extraction on real users' sentences.

The labels (``bench/labels/longmemeval-user-facts.jsonl``) name 200 sentences of
user turns in LongMemEval's sessions by session id, turn and character span
(the text itself stays in the data set), with the facts a careful reader takes
from each: lasting states and tastes of the user or of someone named, in the
extractor's predicates (``lives_in``, ``works_at``, ``job``, ``dating``,
``married_to``, ``likes``, ``dislikes``, ``has_<relation>`` with a name ...).
Reactions to a suggestion ("I love that idea"), plans, questions and unnamed
people make none. 100 sentences are drawn at random; 100 from those with a
cue of a personal fact ("I live", "my wife", "I prefer" ...), so that there are
positives to find.

Each sentence is read in its turn, as ``add()`` reads it: the facts of the
whole user turn less those of the turn without the sentence are the
sentence's (what the turn says around it, a pasted transcript or a name
said before, counts as it would for a user). The same sentences are also
extracted alone, as a turn of their own. A fact found matches a labelled one
with the same subject and predicate whose object contains the other's words
("Tokyo" and "Tokyo, Japan"). Reported: precision and recall overall and per
sample, both ways, and every miss and false find of the sentences in their turns.
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from memstrata.bench.factchecks import fold
from memstrata.bench.report import markdown_table, write_results
from memstrata.extract.offline import OfflineExtractor
from memstrata.model import Episode

_AT = datetime(2023, 5, 20, 12, 0, tzinfo=UTC)
Triple = tuple[str, str, str]


def labelled(labels: Path, data: Path) -> Iterator[tuple[dict[str, Any], str]]:
    """Each label row with its turn's text, read from the data set's sessions."""
    rows = [json.loads(line) for line in labels.read_text(encoding="utf-8").splitlines() if line]
    wanted = {row["session_id"] for row in rows}
    turns: dict[str, list[dict[str, str]]] = {}
    with gzip.open(data / "sessions.jsonl.gz", "rt", encoding="utf-8") as sessions:
        for line in sessions:
            session = json.loads(line)
            if session["session_id"] in wanted:
                turns[session["session_id"]] = session["turns"]
    for row in rows:
        yield row, turns[row["session_id"]][row["turn"]]["content"]


def _same(found: Triple, gold: Triple) -> bool:
    if fold(found[0]) != fold(gold[0]) or found[1] != gold[1]:
        return False
    a, b = f" {fold(found[2])} ", f" {fold(gold[2])} "
    return a.strip() != "" and (a in b or b in a)


def extracted(text: str) -> list[Triple]:
    episode = Episode("e", "bench", text, _AT, _AT, None, None, "user")
    facts = OfflineExtractor().extract([episode]).facts
    return [(f.subject, f.predicate, f.object) for f in facts if f.object and f.effect != "end"]


def in_turn(turn: str, start: int, end: int) -> list[Triple]:
    """The facts the sentence at ``turn[start:end]`` adds to its turn."""
    added = Counter(extracted(turn)) - Counter(extracted(f"{turn[:start]} {turn[end:]}"))
    return list(added.elements())


def run_user_facts(labels: Path, data: Path, out_dir: Path, console: Console) -> dict[str, Any]:
    counts: dict[str, dict[str, list[int]]] = {
        mode: {"random": [0, 0, 0], "cued": [0, 0, 0]} for mode in ("in its turn", "alone")
    }
    errors: list[dict[str, Any]] = []
    for row, turn in labelled(labels, data):
        gold: list[Triple] = [tuple(fact) for fact in row["facts"]]
        text = turn[row["start"] : row["end"]]
        for mode, found in (
            ("in its turn", in_turn(turn, row["start"], row["end"])),
            ("alone", extracted(text)),
        ):
            hits = [f for f in found if any(_same(f, g) for g in gold)]
            missed = [g for g in gold if not any(_same(f, g) for f in found)]
            wrong = [f for f in found if f not in hits]
            tally = counts[mode][row["sample"]]
            tally[0] += len({g for g in gold if g not in missed})
            tally[1] += len(wrong)
            tally[2] += len(missed)
            if (missed or wrong) and mode == "in its turn":
                errors.append({"text": text, "missed": missed, "wrong": wrong})
    rows: list[list[object]] = []
    for mode, by_sample in counts.items():
        for name, (tp, fp, fn) in [*by_sample.items(), ("all", _total(by_sample))]:
            recall = 100.0 * tp / max(tp + fn, 1)
            rows.append([mode, name, tp + fn, 100.0 * tp / max(tp + fp, 1), recall])
    table = markdown_table(["sentence read", "sample", "labelled facts", "P %", "R %"], rows)
    summary = {"table": rows, "errors": errors}
    write_results(
        out_dir, "user-facts", summary, f"# Facts in LongMemEval user sentences\n\n{table}\n"
    )
    console.print(table)
    return summary


def _total(counts: dict[str, list[int]]) -> list[int]:
    return [sum(c[i] for c in counts.values()) for i in range(3)]
