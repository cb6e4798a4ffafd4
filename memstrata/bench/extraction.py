"""`memstrata bench extract`: offline extraction against hand-labelled sentences.

Each line of the fixture is a sentence with its speaker and gold labels: the
facts it states, the kind of note it makes (or none) and the names it
mentions besides the speaker. Reported: precision and recall per predicate,
per note kind and for entities, and micro averages.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from memstrata.bench.report import markdown_table, write_json
from memstrata.extract.base import KNOWN_ONLY
from memstrata.extract.offline import OfflineExtractor
from memstrata.model import Episode
from memstrata.resolve.entities import normalise

T = datetime(2023, 7, 1, 12, 0, tzinfo=UTC)


def _scores(tp: Counter[str], fp: Counter[str], fn: Counter[str]) -> dict[str, dict[str, float]]:
    out = {}
    for key in sorted(set(tp) | set(fp) | set(fn)):
        predicted, gold = tp[key] + fp[key], tp[key] + fn[key]
        out[key] = {
            "precision": tp[key] / predicted if predicted else 1.0,
            "recall": tp[key] / gold if gold else 1.0,
            "support": float(gold),
        }
    predicted, gold = sum(tp.values()) + sum(fp.values()), sum(tp.values()) + sum(fn.values())
    out["(micro)"] = {
        "precision": sum(tp.values()) / predicted if predicted else 1.0,
        "recall": sum(tp.values()) / gold if gold else 1.0,
        "support": float(gold),
    }
    return out


MENTIONS = ("date", "quantity", "thing")
NOT_NAMES = (*MENTIONS, KNOWN_ONLY)  # known-only drafts claim nothing on their own


def _count(
    counts: tuple[Counter[str], Counter[str], Counter[str]],
    label: str,
    got: set[str],
    wanted: set[str],
) -> None:
    tp, fp, fn = counts
    tp[label] += len(got & wanted)
    fp[label] += len(got - wanted)
    fn[label] += len(wanted - got)


def evaluate(rows: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, float]]]:
    extractor = OfflineExtractor()
    counts: dict[str, tuple[Counter[str], Counter[str], Counter[str]]] = {
        name: (Counter(), Counter(), Counter())
        for name in ("facts", "notes", "entities", "mentions")
    }
    for i, row in enumerate(rows):
        episode = Episode(
            id=f"e{i}",
            namespace="eval",
            content=row["text"],
            occurred_at=T,
            recorded_at=T,
            speaker=row["speaker"],
        )
        result = extractor.extract([episode])
        got = {  # an empty object refers back to the latest value ("we got engaged")
            (normalise(f.subject), f.predicate, normalise(f.object))
            for f in result.facts
            if f.object
        }
        gold = {(normalise(s), p, normalise(o)) for s, p, o in row["facts"]}
        tp, fp, fn = counts["facts"]
        for triple in got | gold:
            bucket = tp if triple in got and triple in gold else fp if triple in got else fn
            bucket[triple[1]] += 1
        kind = result.notes[0].kind if result.notes else None
        tp, fp, fn = counts["notes"]
        if kind == row["kind"] and kind is not None:
            tp[kind] += 1
        else:
            if kind is not None:
                fp[kind] += 1
            if row["kind"] is not None:
                fn[row["kind"]] += 1
        speaker = normalise(row["speaker"])
        names = {normalise(e.name) for e in result.entities if e.kind not in NOT_NAMES} - {speaker}
        _count(counts["entities"], "entity", names, {normalise(n) for n in row["entities"]})
        for mention in MENTIONS:
            got_kind = {normalise(e.name) for e in result.entities if e.kind == mention}
            wanted = {normalise(n) for n in row.get("mentions", {}).get(mention, [])}
            _count(counts["mentions"], mention, got_kind, wanted)
    return {name: _scores(*c) for name, c in counts.items()}


def run_extraction_eval(fixture: Path, out_dir: Path, console: Console) -> dict[str, Any]:
    rows = [json.loads(line) for line in fixture.read_text(encoding="utf-8").splitlines() if line]
    result = evaluate(rows)
    write_json(out_dir / "extraction.json", {"sentences": len(rows), **result})
    parts = [f"{len(rows)} hand-labelled sentences ({fixture.name})"]
    for name, table in result.items():
        body = [
            [key, 100 * v["precision"], 100 * v["recall"], int(v["support"])]
            for key, v in table.items()
        ]
        parts.append(f"### {name}\n\n" + markdown_table(["label", "P %", "R %", "gold"], body))
    text = "\n\n".join(parts)
    (out_dir / "extraction.md").write_text(text + "\n", encoding="utf-8")
    console.print(text, markup=False)
    return result
