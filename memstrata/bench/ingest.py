"""`memstrata bench ingest`: real chat (LongMemEval's sessions) in the default
configuration, many namespaces in one file.

Layouts of the same sessions:

- ``haystacks``: one namespace per question, holding that question's history
  (about 490 turns), as a chat assistant with many users would;
- ``one``: every session in one namespace (110k turns);
- ``many``: the sessions dealt out over 1,000 small namespaces.

Each run measures, in one process and beside its baselines (the embedder
alone on the same texts, plain SQLite inserts of the same rows):
messages per second of ``add()`` per session with extraction, the time of
each write stage, one-message ``add()`` latency, entities, facts and notes
per 1,000 messages, bytes per message and peak memory; then a fresh process's
first search, and warm search latency with reinforcement on (the default)
over 1,000 searches. The ``many`` layout also searches a store holding one of
its namespaces alone, so the cost of 999 other tenants shows as a ratio.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from rich.console import Console

from memstrata.bench.longmemeval_data import Question, Turn, load_questions, load_sessions, messages
from memstrata.bench.metrics import percentiles, process_mb, timed_ms
from memstrata.bench.report import markdown_table, write_results
from memstrata.config import Settings
from memstrata.memory import Memory
from memstrata.messages import index_text
from memstrata.providers.embed.base import embed_normalised
from memstrata.validate import visible

LAYOUTS = ("haystacks", "one", "many", "deferred", "bulk")
SEARCHES = 1000
SINGLE_ADDS = 200
PRIMED = 50  # namespaces searched warm (each primed by one first search)
EMBED_SAMPLE = 5000


@dataclass(frozen=True, slots=True)
class Plan:
    """What goes where: (namespace, session id, when) in the order added."""

    layout: str
    adds: list[tuple[str, str, datetime]]
    questions: dict[str, list[str]]  # namespace -> questions to search it with


def plan(layout: str, questions: Sequence[Question], namespaces: int) -> Plan:
    usable = [q for q in questions if not q.is_abstention]
    if layout == "haystacks":
        chosen = usable[:namespaces]
        adds = [(f"q{i}", s, when) for i, q in enumerate(chosen) for s, when in q.haystack]
        return Plan(layout, adds, {f"q{i}": [q.question] for i, q in enumerate(chosen)})
    first: dict[str, datetime] = {}
    for q in questions:
        for session_id, when in q.haystack:
            first.setdefault(session_id, when)
    ordered = sorted(first, key=lambda s: (first[s], s))
    count = 1 if layout == "one" else namespaces
    adds = [(f"n{i % count}", s, first[s]) for i, s in enumerate(ordered)]
    asked = [q.question for q in usable]
    return Plan(layout, adds, {f"n{i}": asked[i::count] or asked for i in range(count)})


def _sqlite_baseline(rows: Sequence[tuple[str, str, list[Turn]]], folder: Path) -> float:
    """Plain inserts of the same messages, one durable transaction per session."""
    conn = sqlite3.connect(folder / "plain.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute(
        "CREATE TABLE messages(id INTEGER PRIMARY KEY, namespace TEXT, session TEXT, "
        "role TEXT, content TEXT)"
    )
    count, start = 0, time.perf_counter()
    for namespace, session_id, turns in rows:
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO messages(namespace, session, role, content) VALUES (?, ?, ?, ?)",
            [(namespace, session_id, t.role, t.content) for t in turns],
        )
        conn.execute("COMMIT")
        count += len(turns)
    seconds = time.perf_counter() - start
    conn.close()
    return count / seconds


def _first_search(path: str, namespace: str, question: str, out: Any) -> None:
    """In a fresh process: open the store, then one search (each timed)."""
    start = time.perf_counter()
    memory = Memory(path)
    opened = time.perf_counter()
    memory.search(question, namespace=namespace)
    searched = time.perf_counter()
    memory.search(question, namespace=namespace)
    again = time.perf_counter()
    memory.close()
    out.put(
        {
            "open_s": opened - start,
            "first_search_s": searched - opened,
            "second_search_ms": (again - searched) * 1000,
        }
    )


def fresh_first_search(path: Path, namespace: str, question: str) -> dict[str, float]:
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    child = context.Process(target=_first_search, args=(str(path), namespace, question, out))
    child.start()
    result: dict[str, float] = out.get(timeout=600)
    child.join(60)
    return result


def _ingest(
    memory: Memory, rows: Sequence[tuple[str, str, list[Turn]]], dates: Sequence[datetime]
) -> dict[str, Any]:
    per_add: list[float] = []
    count, start = 0, time.perf_counter()
    for (namespace, session_id, turns), when in zip(rows, dates, strict=True):
        batch = messages(turns, when)
        if not batch:
            continue
        t = time.perf_counter()
        memory.add(batch, namespace=namespace, session_id=session_id)
        per_add.append((time.perf_counter() - t) * 1000)
        count += len(batch)
    seconds = time.perf_counter() - start
    return {
        "messages": count,
        "seconds": seconds,
        "messages_per_s": count / seconds,
        "session_add_ms": percentiles(per_add),
        "stage_s": dict(memory.timings.seconds()),
    }


def _searches(memory: Memory, questions: dict[str, list[str]], count: int) -> dict[str, Any]:
    """A first search in each of up to PRIMED namespaces, then ``count`` warm
    searches round-robin over them, reinforcement on."""
    primed = list(questions)[:PRIMED]
    first = timed_ms([partial(memory.search, questions[ns][0], namespace=ns) for ns in primed])
    calls: list[Callable[[], object]] = []
    for i in range(count):
        ns = primed[i % len(primed)]
        asked = questions[ns][(i // len(primed)) % len(questions[ns])]
        calls.append(partial(memory.search, asked, namespace=ns, reinforce=True))
    warm = timed_ms(calls)
    return {"namespace_first_ms": percentiles(first), "warm_ms": percentiles(warm)}


def _counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        return {
            table: int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
            for table in ("episodes", "entities", "facts", "notes", "namespaces")
        }
    finally:
        conn.close()


def _single_adds(memory: Memory, texts: Sequence[str]) -> dict[str, float]:
    return percentiles(
        timed_ms(
            [partial(memory.add, text, namespace="single-adds", role="user") for text in texts]
        )
    )


Rows = list[tuple[str, str, list[Turn]]]  # (namespace, session id, turns) per add()


def _rows(
    data: Path, layout: str, namespaces: int, limit: int | None, console: Console
) -> tuple[Plan, Rows, list[datetime]]:
    """The layout's plan, its adds (at most ``limit`` messages) and their dates."""
    chosen = plan(layout, load_questions(data), namespaces)
    sessions = load_sessions(data, {s for _, s, _ in chosen.adds})
    rows: Rows = []
    dates: list[datetime] = []
    total = 0
    for namespace, session_id, when in chosen.adds:
        turns = [t for t in sessions[session_id] if visible(t.content)]
        if limit is not None and total + len(turns) > limit:
            break
        rows.append((namespace, session_id, turns))
        dates.append(when)
        total += len(turns)
    console.print(
        f"[bold]{layout}[/]: {total:,} messages in {len({r[0] for r in rows})} namespaces"
    )
    return chosen, rows, dates


def run_deferred(
    data: Path, namespaces: int, limit: int | None, folder: Path, console: Console
) -> dict[str, Any]:
    """The haystacks with embedding and extraction off the add() path: add()
    stores words and queues (MEMSTRATA_EMBED_ON_ADD=false,
    MEMSTRATA_EXTRACT_ON_ADD=false) while a `memstrata worker` process embeds
    and extracts. Measures add()'s rate and latency, and when the last turn had
    its vector and was structured."""
    _, rows, dates = _rows(data, "haystacks", namespaces, limit, console)
    path = folder / "deferred.db"
    settings = Settings.load(path=str(path), extract_on_add=False, embed_on_add=False)
    with Memory(settings=settings) as memory:  # the store exists (and names its embedder) first
        embedder = memory.embedder.name
    worker = subprocess.Popen(
        [sys.executable, "-m", "memstrata", "--db", str(path), "worker", "--poll", "0.1"],
        stderr=subprocess.DEVNULL,
    )
    try:
        with Memory(settings=settings) as memory:
            start = time.perf_counter()
            ingest = _ingest(memory, rows, dates)
            users = [
                index_text(None, t.content) for _, _, ts in rows for t in ts if t.role == "user"
            ]
            single = _single_adds(memory, users[:SINGLE_ADDS])
            embedded, structured = _drained(memory, start)
    finally:
        worker.terminate()
        worker.wait(120)
    counts = _counts(path)
    console.print(
        f"  add() {ingest['messages_per_s']:,.0f} msg/s; every vector after {embedded:.0f} s, "
        f"all structured after {structured:.0f} s"
    )
    return {
        "layout": "deferred",
        "embedder": embedder,
        "messages": ingest["messages"],
        "namespaces": len({r[0] for r in rows}),
        "ingest": ingest,
        "single_add_ms": single,
        "embedded_after_s": embedded,
        "structured_after_s": structured,
        "structured_per_s": ingest["messages"] / structured,
        "per_1000_messages": _per_1000(counts),
    }


def run_bulk(
    data: Path, namespaces: int, limit: int | None, folder: Path, console: Console
) -> dict[str, Any]:
    """The haystacks added inside ``Memory.bulk()`` in the default configuration:
    add() stores words while one worker process per core embeds and extracts;
    timed until the bulk load ended with every turn embedded and structured."""
    _, rows, dates = _rows(data, "haystacks", namespaces, limit, console)
    path = folder / "bulk.db"
    processes = os.cpu_count() or 1
    with Memory(path) as memory:
        embedder = memory.embedder.name
        start = time.perf_counter()
        with memory.bulk(processes):
            ingest = _ingest(memory, rows, dates)
        ended = time.perf_counter() - start
    counts = _counts(path)
    console.print(
        f"  add() {ingest['messages_per_s']:,.0f} msg/s; embedded and structured after "
        f"{ended:.0f} s ({ingest['messages'] / ended:,.0f} msg/s)"
    )
    return {
        "layout": "bulk",
        "embedder": embedder,
        "messages": ingest["messages"],
        "namespaces": len({r[0] for r in rows}),
        "processes": processes,
        "ingest": ingest,
        "ended_after_s": ended,
        "end_to_end_per_s": ingest["messages"] / ended,
        "per_1000_messages": _per_1000(counts),
        "bytes_per_message": os.path.getsize(path) / max(counts["episodes"], 1),
    }


def _drained(memory: Memory, start: float) -> tuple[float, float]:
    """Seconds from ``start`` until every episode had its vector, and until
    nothing was left queued for extraction (waiting for both)."""
    embedded = structured = None
    model = memory.embedder.name
    while embedded is None or structured is None:
        at = time.perf_counter() - start
        if embedded is None and not memory.store.vectors.pending(model, 1):
            embedded = at
        if structured is None and not memory.store.structure.queued_namespaces():
            structured = at
        time.sleep(0.05)
    return embedded, structured


def _per_1000(counts: dict[str, int]) -> dict[str, float]:
    return {
        k: 1000 * counts[k] / max(counts["episodes"], 1) for k in ("entities", "facts", "notes")
    }


def run_layout(
    data: Path,
    layout: str,
    namespaces: int,
    limit: int | None,
    folder: Path,
    console: Console,
) -> dict[str, Any]:
    chosen, rows, dates = _rows(data, layout, namespaces, limit, console)
    texts = [index_text(t.role, t.content) for _, _, turns in rows for t in turns]
    path = folder / f"{layout}.db"
    with Memory(path) as memory:
        embedder = memory.embedder.name
        sample = texts[:EMBED_SAMPLE]
        start = time.perf_counter()
        embed_normalised(memory.embedder, sample)
        embed_rate = len(sample) / (time.perf_counter() - start)
        ingest = _ingest(memory, rows, dates)
        console.print(f"  ingest {ingest['messages_per_s']:,.0f} msg/s")
        users = [t for t in texts if t.startswith("user:")][:SINGLE_ADDS]
        single = _single_adds(memory, users)
    sqlite_rate = _sqlite_baseline(rows, folder)
    counts = _counts(path)
    written = {ns for ns, _, _ in rows}
    biggest = max(written, key=lambda ns: sum(len(t) for n, _, t in rows if n == ns))
    question = chosen.questions[biggest][0]
    fresh = fresh_first_search(path, biggest, question)  # the first ever: replays the log
    later = fresh_first_search(path, biggest, question)  # loads the snapshot it left
    console.print(
        f"  fresh process: first search {fresh['first_search_s']:.2f} s, "
        f"{later['first_search_s']:.2f} s in a later one"
    )
    asked = {ns: qs for ns, qs in chosen.questions.items() if ns in written}
    with Memory(path) as memory:
        searched = _searches(memory, asked, SEARCHES)
    result: dict[str, Any] = {
        "layout": layout,
        "embedder": embedder,
        "messages": ingest["messages"],
        "namespaces": len(written),
        "ingest": ingest,
        "single_add_ms": single,
        "embedder_alone_per_s": embed_rate,
        "sqlite_alone_per_s": sqlite_rate,
        "per_1000_messages": _per_1000(counts),
        "bytes_per_message": os.path.getsize(path) / max(counts["episodes"], 1),
        "rss_peak_mb": process_mb("VmHWM"),
        "fresh_process": {**fresh, "namespace": biggest, "later": later},
        "search": searched,
    }
    if layout == "many":
        result["lone"] = _lone(rows, dates, biggest, asked, folder)
    console.print(f"  warm search p95 {searched['warm_ms']['p95']:.1f} ms")
    return result


def _lone(
    rows: Sequence[tuple[str, str, list[Turn]]],
    dates: Sequence[datetime],
    namespace: str,
    asked: dict[str, list[str]],
    folder: Path,
) -> dict[str, Any]:
    """The same searches on a file holding one namespace alone."""
    own = [(r, d) for r, d in zip(rows, dates, strict=True) if r[0] == namespace]
    with Memory(folder / "lone.db") as memory:
        _ingest(memory, [r for r, _ in own], [d for _, d in own])
    with Memory(folder / "lone.db") as memory:
        alone = _searches(memory, {namespace: asked[namespace]}, SEARCHES)
    with Memory(folder / "many.db") as memory:
        among = _searches(memory, {namespace: asked[namespace]}, SEARCHES)
    return {
        "namespace": namespace,
        "alone_ms": alone["warm_ms"],
        "among_others_ms": among["warm_ms"],
        "p95_ratio": among["warm_ms"]["p95"] / alone["warm_ms"]["p95"],
    }


def _ms(values: dict[str, float]) -> str:
    return f"{values['p50']:.1f} / {values['p95']:.1f} / {values['p99']:.1f}"


def _inline_table(inline: Sequence[dict[str, Any]]) -> str:
    """One row per layout ingested the default way."""
    rows = []
    for r in inline:
        per = r["per_1000_messages"]
        fresh = r["fresh_process"]
        rows.append(
            [
                r["layout"],
                f"{r['messages']:,}",
                f"{r['namespaces']:,}",
                f"{r['ingest']['messages_per_s']:,.0f}",
                f"{r['embedder_alone_per_s']:,.0f}",
                f"{r['sqlite_alone_per_s']:,.0f}",
                _ms(r["single_add_ms"]),
                f"{per['entities']:.0f} / {per['facts']:.0f} / {per['notes']:.0f}",
                f"{fresh['open_s']:.2f} + {fresh['first_search_s']:.2f}"
                + (
                    f" (later: {fresh['later']['open_s']:.2f} + "
                    f"{fresh['later']['first_search_s']:.2f})"
                    if "later" in fresh
                    else ""
                ),
                _ms(r["search"]["warm_ms"]),
                f"{r['bytes_per_message']:,.0f}",
                f"{r['rss_peak_mb']:,.0f}",
            ]
        )
    return markdown_table(
        [
            "layout",
            "messages",
            "namespaces",
            "ingest msg/s",
            "embedder alone msg/s",
            "plain SQLite msg/s",
            "add() of one message p50/p95/p99 ms",
            "entities / facts / notes per 1k messages",
            "fresh process: open + first search s (first ever; a later process)",
            "warm search p50/p95/p99 ms (reinforcement on)",
            "bytes/message",
            "peak RSS MB",
        ],
        rows,
    )


def _deferred_lines(r: dict[str, Any]) -> list[str]:
    """The layout with embedding and extraction off the add() path."""
    per = r["per_1000_messages"]
    return [
        "",
        "Embedding and extraction off the add() path (the haystacks, "
        "MEMSTRATA_EMBED_ON_ADD=false and MEMSTRATA_EXTRACT_ON_ADD=false, "
        "one `memstrata worker` process embedding and extracting meanwhile):",
        "",
        markdown_table(
            [
                "messages",
                "add() msg/s (stored, searchable by words)",
                "add() of one message p50/p95/p99 ms",
                "every turn embedded after s",
                "every turn structured after s",
                "end to end msg/s",
                "entities / facts / notes per 1k messages",
            ],
            [
                [
                    f"{r['messages']:,}",
                    f"{r['ingest']['messages_per_s']:,.0f}",
                    _ms(r["single_add_ms"]),
                    f"{r.get('embedded_after_s', 0):.0f}",
                    f"{r['structured_after_s']:.0f}",
                    f"{r['structured_per_s']:,.0f}",
                    f"{per['entities']:.0f} / {per['facts']:.0f} / {per['notes']:.0f}",
                ]
            ],
        ),
    ]


def _bulk_lines(r: dict[str, Any]) -> list[str]:
    """The layout loaded inside Memory.bulk()."""
    per = r["per_1000_messages"]
    return [
        "",
        f"Bulk load (the haystacks added inside `Memory.bulk()`, default configuration, "
        f"{r['processes']} worker processes embedding and extracting meanwhile):",
        "",
        markdown_table(
            [
                "messages",
                "add() msg/s (stored, searchable by words)",
                "every turn embedded and structured after s",
                "end to end msg/s",
                "entities / facts / notes per 1k messages",
            ],
            [
                [
                    f"{r['messages']:,}",
                    f"{r['ingest']['messages_per_s']:,.0f}",
                    f"{r['ended_after_s']:.0f}",
                    f"{r['end_to_end_per_s']:,.0f}",
                    f"{per['entities']:.0f} / {per['facts']:.0f} / {per['notes']:.0f}",
                ]
            ],
        ),
    ]


def _lone_lines(r: dict[str, Any]) -> list[str]:
    """One namespace searched alone and among the others."""
    lone = r["lone"]
    return [
        "",
        f"Warm search of namespace {lone['namespace']} alone in a file: "
        f"{_ms(lone['alone_ms'])} ms; among {r['namespaces'] - 1:,} other namespaces: "
        f"{_ms(lone['among_others_ms'])} ms (p95 ratio {lone['p95_ratio']:.2f}).",
    ]


def render(results: Sequence[dict[str, Any]]) -> str:
    inline = [r for r in results if r["layout"] not in ("deferred", "bulk")]
    table = _inline_table(inline)
    names = sorted({k for r in inline for k in r["ingest"]["stage_s"]})
    stages = markdown_table(
        ["layout", *names],
        [
            [r["layout"], *(f"{r['ingest']['stage_s'].get(k, 0.0):.1f}" for k in names)]
            for r in inline
        ],
    )
    lines = [
        "# Ingest and search on real conversations (LongMemEval sessions)",
        "",
        f"Embedder: {', '.join(sorted({r['embedder'] for r in results}))}; extraction and "
        "reinforcement on (the default configuration).",
        "",
        table,
        "",
        "Seconds spent in each write stage:",
        "",
        stages,
    ]
    for r in results:
        if r["layout"] == "deferred":
            lines += _deferred_lines(r)
        if r["layout"] == "bulk":
            lines += _bulk_lines(r)
        if "lone" in r:
            lines += _lone_lines(r)
    return "\n".join(lines)


def _merged(previous: Path, fresh: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """This run's layouts, and those of the results file it rewrites that it did
    not run (a rerun of one layout keeps the others), in LAYOUTS order."""
    kept: list[dict[str, Any]] = []
    if previous.exists():
        ran = {r["layout"] for r in fresh}
        kept = [
            r for r in json.loads(previous.read_text(encoding="utf-8")) if r["layout"] not in ran
        ]
    return sorted(kept + fresh, key=lambda r: LAYOUTS.index(r["layout"]))


def run_ingest(
    data: Path,
    out_dir: Path,
    layouts: Sequence[str],
    console: Console,
    haystacks: int = 100,
    small: int = 1000,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Every layout in turn (``haystacks`` question namespaces, ``small`` small
    ones), at most ``limit`` messages each; results to ``out_dir``/ingest.*."""
    fresh = []
    with tempfile.TemporaryDirectory(prefix="memstrata-ingest-") as tmp:
        for layout in layouts:
            folder = Path(tmp) / layout
            folder.mkdir()
            if layout in ("deferred", "bulk"):
                run = run_deferred if layout == "deferred" else run_bulk
                fresh.append(run(data, haystacks, limit, folder, console))
                continue
            count = small if layout == "many" else haystacks
            fresh.append(run_layout(data, layout, count, limit, folder, console))
    results = _merged(out_dir / "ingest.json", fresh)
    write_results(out_dir, "ingest", results, render(results))
    console.print(render(results))
    return results
