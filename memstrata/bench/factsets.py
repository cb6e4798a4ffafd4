"""`memstrata bench facts`: facts and their times after natural conversations.

Reads a fact-scenario set (JSONL: ``id``, ``kind``, ``messages`` with speaker,
role, content, occurred_at and session_id, and ``expect``, a list of checks in
the grammar of ``factchecks``). Each scenario gets its own namespace in one
store with the default configuration; its sessions are added in order, each
extracted before the next; then every fact, closed and retracted ones
included, is read once and every check is evaluated at the scenario's latest
message time. Reported per kind: scenarios fully passed, checks passed, and
each failing check with the facts it saw.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from itertools import groupby
from pathlib import Path
from typing import Any

from rich.console import Console

from memstrata.bench.factchecks import KeptFact, passes
from memstrata.bench.report import markdown_table, write_results
from memstrata.memory import Memory
from memstrata.validate import aware_utc


def load(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def _kept(memory: Memory, namespace: str) -> list[KeptFact]:
    return [
        KeptFact(f.subject, f.predicate, f.object, f.valid_at, f.invalid_at, f.expired_at)
        for f in memory.facts(namespace=namespace)
    ]


def score_scenario(memory: Memory, scenario: dict[str, Any]) -> dict[str, Any]:
    """Add one scenario's sessions to its namespace and evaluate its checks."""
    namespace = f"facts-{scenario['id']}"
    messages = scenario["messages"]
    for _, session in groupby(messages, key=lambda m: m.get("session_id")):
        memory.add(list(session), namespace=namespace)
    now = max(aware_utc(m["occurred_at"], "occurred_at") for m in messages)
    facts = _kept(memory, namespace)
    results = [passes(check, facts, now) for check in scenario["expect"]]
    return {
        "id": scenario["id"],
        "kind": scenario["kind"],
        "passed": sum(results),
        "checks": len(results),
        "failed": [c for c, ok in zip(scenario["expect"], results, strict=True) if not ok],
        "facts": [
            f"{f.subject} | {f.predicate} | {f.object} | {f.valid_at:%Y-%m-%d} | "
            f"{'' if f.invalid_at is None else f'{f.invalid_at:%Y-%m-%d}'} | "
            f"{'retracted' if f.expired_at else ''}"
            for f in facts
        ],
    }


def run_fact_scenarios(
    data: Path, out_dir: Path, console: Console, per_kind: int | None = None
) -> dict[str, Any]:
    """Score every scenario (or the first ``per_kind`` of each kind) in one store."""
    start = time.perf_counter()
    scored: list[dict[str, Any]] = []
    taken: dict[str, int] = defaultdict(int)
    with tempfile.TemporaryDirectory() as tmp, Memory(Path(tmp) / "facts.db") as memory:
        extractor = memory.settings.extractor
        for scenario in load(data):
            if per_kind is not None and taken[scenario["kind"]] >= per_kind:
                continue
            taken[scenario["kind"]] += 1
            scored.append(score_scenario(memory, scenario))
    by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for result in scored:
        by_kind[result["kind"]].append(result)
    rows: list[list[object]] = []
    for kind, results in [*sorted(by_kind.items()), ("**overall**", scored)]:
        checks = sum(r["checks"] for r in results)
        passed = sum(r["passed"] for r in results)
        full = sum(r["passed"] == r["checks"] for r in results)
        rows.append([kind, len(results), full, checks, passed, 100.0 * passed / max(checks, 1)])
    table = markdown_table(["kind", "scenarios", "all pass", "checks", "passed", "%"], rows)
    seconds = time.perf_counter() - start
    messages = sum(len(s["messages"]) for s in load(data) if s["id"] in {r["id"] for r in scored})
    summary = {
        "data": data.name,
        "extractor": extractor,
        "seconds": round(seconds, 1),
        "messages": messages,
        "table": rows,
        "scenarios": scored,
    }
    title = f"# Fact scenarios: {data.name} (extractor: {extractor})"
    note = f"{len(scored)} scenarios, {messages} messages in {seconds:.1f} s"
    write_results(out_dir, "facts", summary, f"{title}\n\n{table}\n\n{note}\n")
    console.print(table)
    console.print(note)
    return summary
