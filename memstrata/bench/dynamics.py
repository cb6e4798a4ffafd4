"""`memstrata bench dynamics`: LoCoMo ingested, then consolidation rounds.

Measured before and after ten rounds (each a simulated month later: a
consolidation and the default forgetting of every namespace, with no search in
between to reinforce anything): notes and facts
traceable to episodes (archived ones included: must be equal), the
near-duplicate rate of live notes, store size, and evidence recall R@10 of the
default search (categories 1-4, reinforcement off). Also: consolidation
throughput, what reinforcement costs a search, and the kill test: a round run
in a child process is SIGKILLed at several points, resumed by ``run_jobs()``,
and compared with a round that was never interrupted.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console

from memstrata.bench.locomo import asked_at, turn_messages
from memstrata.bench.locomo_data import Conversation, load_locomo
from memstrata.bench.metrics import percentile
from memstrata.bench.report import markdown_table, write_results
from memstrata.dynamics.consolidate import duplicate_groups
from memstrata.dynamics.forget import note_states
from memstrata.memory import Memory
from memstrata.model import Summary
from memstrata.timeutil import now

APART = timedelta(days=30)  # rounds are a month apart
KILL_POINTS = (0.1, 0.3, 0.5, 0.7, 0.9)
REINFORCE_QUESTIONS = 300


def _snapshot(memory: Memory, conversations: list[Conversation]) -> dict[str, float]:
    traceable_notes = traceable_facts = live = duplicates = long_term = 0
    for conv in conversations:
        ns = conv.sample_id
        notes = memory.store.structure.notes(ns, limit=10**9)
        traceable_notes += sum(1 for n in notes if n.episode_ids)
        traceable_facts += sum(1 for f in memory.store.structure.facts(ns) if f.episode_ids)
        alive = memory.store.structure.notes(ns, limit=10**9, include_archived=False)
        live += len(alive)
        states = note_states(memory.store, ns, alive)
        long_term += sum(1 for s in states.values() if s.layer == "long")
        duplicates += sum(len(g) - 1 for g in duplicate_groups(alive))
    recall, hit = _recall(memory, conversations)
    return {
        "notes traceable": traceable_notes,
        "facts traceable": traceable_facts,
        "notes live": live,
        "notes live, long-term": long_term,
        "duplicate rate %": 100 * duplicates / max(live, 1),
        "store MB": memory.store.bytes_on_disk() / 1e6,
        "summaries": sum(
            len(memory.summaries(namespace=c.sample_id, limit=1000)) for c in conversations
        ),
        "R@10": recall,
        "Hit@10": hit,
    }


def _recall(memory: Memory, conversations: list[Conversation]) -> tuple[float, float]:
    recalls = []
    for conv in conversations:
        at = asked_at(conv)
        for q in conv.questions:
            if q.category == 5:
                continue
            hits = memory.search(
                q.text, namespace=conv.sample_id, limit=10, now=at, reinforce=False
            )
            found = {str(h.metadata["dia_id"]) for h in hits}
            recalls.append(len(found & q.evidence) / len(q.evidence))
    return 100 * sum(recalls) / len(recalls), 100 * sum(r > 0 for r in recalls) / len(recalls)


def _rounds(
    memory: Memory,
    conversations: list[Conversation],
    start: datetime,
    rounds: int,
    console: Console,
) -> list[dict[str, float]]:
    out = []
    for k in range(1, rounds + 1):
        at = start + k * APART
        row: dict[str, float] = {"round": k, "live notes at start": 0}
        began = time.perf_counter()
        for conv in conversations:
            row["live notes at start"] += len(
                memory.store.structure.notes(conv.sample_id, limit=10**9, include_archived=False)
            )
            job = memory.consolidate(namespace=conv.sample_id, now=at)
            assert job.state == "done", job
            for key, value in job.result.items():
                if isinstance(value, int | float):
                    row[key] = row.get(key, 0) + value
        row["consolidate s"] = time.perf_counter() - began
        began = time.perf_counter()
        row["archived"] = sum(
            len(memory.forget(namespace=c.sample_id, now=at)) for c in conversations
        )
        row["forget s"] = time.perf_counter() - began
        console.print(f"round {k}: {row}")
        out.append(row)
    return out


def _reinforcement_cost(memory: Memory, conversations: list[Conversation]) -> dict[str, float]:
    asked = [(c, q) for c in conversations for q in c.questions][:REINFORCE_QUESTIONS]
    off: list[float] = []
    on: list[float] = []
    for conv, q in asked:
        for flag, bucket in ((False, off), (True, on)):
            start = time.perf_counter()
            memory.search(q.text, namespace=conv.sample_id, now=asked_at(conv), reinforce=flag)
            bucket.append(1000 * (time.perf_counter() - start))
    return {
        "off p50": percentile(off, 50),
        "off p95": percentile(off, 95),
        "on p50": percentile(on, 50),
        "on p95": percentile(on, 95),
    }


def _copy(source: Path, target: Path) -> None:
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def _state(path: Path) -> dict[str, Any]:
    """What the rounds leave: the summaries (whole) and the archived notes."""
    summaries: list[Summary] = []
    archived: set[str] = set()
    events: set[tuple[str, ...]] = set()
    with Memory(path) as memory:
        for ns in memory.namespaces():
            summaries += memory.store.dynamics.summaries(ns, include_archived=True)
            notes = memory.store.structure.notes(ns, limit=10**9)
            live = memory.store.structure.notes(ns, limit=10**9, include_archived=False)
            archived |= {n.id for n in notes} - {n.id for n in live}
            events |= {tuple(e.episode_ids) for e in memory.events(namespace=ns)}
    return {
        "summaries": {(s.id, s.level, s.title, s.text, s.children) for s in summaries},
        "ids": [s.id for s in summaries],
        "half": sum(
            1
            for s in summaries
            if not s.children or (s.level == "event" and tuple(s.children) not in events)
        ),
        "archived": archived,
    }


def _child(path: Path, at: datetime) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "memstrata.bench.dynamics_child", str(path)]
    return subprocess.Popen([*command, at.isoformat()])


def _jobs(path: Path) -> list[tuple[str, str, str, int]]:
    """(namespace, state, phase, done) of every job, oldest first."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            "SELECT namespace, state, phase, done FROM jobs ORDER BY created_at"
        ).fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        conn.close()
    return [(str(a), str(b), str(c), int(d)) for a, b, c, d in rows]


def _where(jobs: list[tuple[str, str, str, int]]) -> str:
    done = sum(1 for j in jobs if j[1] == "done")
    running = [f"{j[0]} in {j[2] or 'start'} ({j[3]})" for j in jobs if j[1] == "running"]
    return f"{done}/{len(jobs)} done" + (f", {running[0]}" if running else "")


def _kill_test(
    source: Path, at: datetime, tmp: Path, console: Console, points: Sequence[float]
) -> dict[str, Any]:
    reference = tmp / "reference.db"
    _copy(source, reference)
    _child(reference, at).wait()
    with Memory(reference) as memory:
        jobs = memory.jobs(limit=1000)
    starts = [j.started_at for j in jobs if j.started_at is not None]
    ends = [j.finished_at for j in jobs if j.finished_at is not None]
    rounds_s = (max(ends) - min(starts)).total_seconds()
    expected = _state(reference)
    trials = []
    for point in points:
        trial = tmp / f"kill-{point}.db"
        _copy(source, trial)
        child = _child(trial, at)
        while not any(j[1] == "running" for j in _jobs(trial)) and child.poll() is None:
            time.sleep(0.002)
        time.sleep(point * rounds_s)
        killed = child.poll() is None
        if killed:
            os.kill(child.pid, signal.SIGKILL)
        child.wait()
        at_kill = _jobs(trial)
        with Memory(trial) as memory:
            resumed = memory.run_jobs()
        got = _state(trial)
        trials.append(
            {
                "kill at": f"{point:.0%} of the rounds",
                "killed": killed,
                "jobs at kill": _where(at_kill),
                "resumed": sum(1 for j in resumed if j.attempts > 1),
                "then run": sum(1 for j in resumed if j.attempts == 1),
                "all done": all(j.state == "done" for j in resumed),
                "duplicate summaries": len(got["ids"]) - len(set(got["ids"])),
                "half-written summaries": got["half"],
                "same as uninterrupted": got["summaries"] == expected["summaries"]
                and got["archived"] == expected["archived"],
            }
        )
        console.print(trials[-1])
    return {"rounds seconds": rounds_s, "trials": trials}


def run_dynamics(
    data: Path,
    out_dir: Path,
    limit: int | None,
    rounds: int,
    console: Console,
    kill_points: Sequence[float] = KILL_POINTS,
) -> dict[str, Any]:
    conversations = load_locomo(data)[:limit]
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        path = tmp / "dynamics.db"
        with Memory(path) as memory:
            for conv in conversations:
                memory.add(turn_messages(conv), namespace=conv.sample_id)
                memory.events(namespace=conv.sample_id)
            _copy(path, tmp / "ingested.db")
            before = _snapshot(memory, conversations)
            console.print(f"before: {before}")
            per_round = _rounds(memory, conversations, now(), rounds, console)
            after = _snapshot(memory, conversations)
            console.print(f"after: {after}")
            reinforcement = _reinforcement_cost(memory, conversations)
        kill = _kill_test(tmp / "ingested.db", now() + APART, tmp, console, kill_points)
    first = per_round[0]
    result = {
        "data": str(data),
        "conversations": len(conversations),
        "rounds": per_round,
        "before": before,
        "after": after,
        "throughput notes/s (round 1)": first["live notes at start"] / first["consolidate s"],
        "reinforcement ms": reinforcement,
        "kill test": kill,
    }
    markdown = render(result)
    write_results(out_dir, "dynamics", result, markdown)
    console.print(markdown)
    return result


def render(result: dict[str, Any]) -> str:
    before, after = result["before"], result["after"]
    rows = [[k, f"{before[k]:.2f}", f"{after[k]:.2f}"] for k in before]
    parts = [
        f"### before and after {len(result['rounds'])} consolidation rounds "
        f"({result['conversations']} LoCoMo conversations)\n\n"
        + markdown_table(["measure", "before", "after"], rows)
    ]
    keys = [k for k in result["rounds"][0] if k != "round"]
    round_rows = [
        [int(r["round"]), *(f"{r.get(k, 0):.2f}" for k in keys)] for r in result["rounds"]
    ]
    parts.append("### rounds\n\n" + markdown_table(["round", *keys], round_rows))
    parts.append(
        f"Consolidation throughput, round 1: {result['throughput notes/s (round 1)']:.0f} notes/s."
    )
    cost = result["reinforcement ms"]
    parts.append(
        "### search latency with and without reinforcement (ms)\n\n"
        + markdown_table(
            ["reinforce", "p50", "p95"],
            [
                ["off", f"{cost['off p50']:.2f}", f"{cost['off p95']:.2f}"],
                ["on", f"{cost['on p50']:.2f}", f"{cost['on p95']:.2f}"],
            ],
        )
    )
    kill = result["kill test"]
    trial_rows = [[str(v) for v in t.values()] for t in kill["trials"]]
    parts.append(
        f"### SIGKILL during a round of every namespace, then run_jobs() "
        f"(uninterrupted, the round takes {kill['rounds seconds']:.2f} s)\n\n"
        + markdown_table(list(kill["trials"][0]), trial_rows)
    )
    return "\n\n".join(parts)
