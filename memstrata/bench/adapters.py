"""What the framework adapters cost: LangGraph's store, the mem0 surface and the
Agents session over memstrata, in the default configuration, on real user turns
(LongMemEval-dev) and real questions, beside LangGraph's own InMemoryStore in
the same process (a dict: the floor, with no durability and no search)."""

from __future__ import annotations

import asyncio
import random
import tempfile
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from memstrata.bench.longmemeval_data import iter_sessions, load_questions
from memstrata.bench.metrics import percentiles, timed_ms
from memstrata.bench.report import markdown_table, write_results
from memstrata.memory import Memory
from memstrata.validate import visible

_LOOKUPS = 200
_QUERIES = 100


def user_turns(folder: Path, count: int, max_chars: int = 2_000) -> list[str]:
    """The first ``count`` user turns of the data set with visible text of at most ``max_chars``."""
    found: list[str] = []
    for _, turns in iter_sessions(folder):
        found += [
            t.content
            for t in turns
            if t.role == "user" and visible(t.content) and len(t.content) <= max_chars
        ]
        if len(found) >= count:
            return found[:count]
    return found


def _row(adapter: str, operation: str, size: int, times: Sequence[float]) -> dict[str, Any]:
    return {"adapter": adapter, "operation": operation, "items": size, **percentiles(times)}


def _langgraph(memory: Memory, texts: list[str], questions: list[str]) -> list[dict[str, Any]]:
    from langgraph.store.memory import InMemoryStore

    from memstrata.integrations.langgraph import MemstrataStore

    rows: list[dict[str, Any]] = []
    size = len(texts)
    keys = random.Random(7).choices(range(size), k=_LOOKUPS)
    for name, store in (
        ("langgraph InMemoryStore", InMemoryStore()),
        ("langgraph MemstrataStore", MemstrataStore(memory)),
    ):
        puts = timed_ms([_put(store, i, t) for i, t in enumerate(texts)])
        gets = timed_ms([_get(store, k) for k in keys])
        rows += [_row(name, "put", size, puts), _row(name, "get", size, gets)]
    store = MemstrataStore(memory)
    searches = timed_ms([_search(store, q) for q in questions])
    rows.append(_row("langgraph MemstrataStore", "search(query)", size, searches))
    return rows


def _put(store: Any, i: int, text: str) -> Callable[[], object]:
    return lambda: store.put(("bench", "user"), f"k{i}", {"text": text})


def _get(store: Any, i: int) -> Callable[[], object]:
    return lambda: store.get(("bench", "user"), f"k{i}")


def _search(store: Any, query: str) -> Callable[[], object]:
    return lambda: store.search(("bench", "user"), query=query, limit=10)


def _mem0(memory: Memory, texts: list[str], questions: list[str]) -> list[dict[str, Any]]:
    from memstrata.compat.mem0 import Memory as Mem0

    m = Mem0(memory)
    size = len(texts)
    raw = timed_ms([partial(m.add, t, user_id="raw", infer=False) for t in texts])
    inferred = timed_ms(
        [partial(m.add, [{"role": "user", "content": t}], user_id="told") for t in texts]
    )
    told = {"user_id": "told"}
    searches = timed_ms([partial(m.search, q, filters=told, top_k=10) for q in questions])
    return [
        _row("mem0 surface", "add(infer=False)", size, raw),
        _row("mem0 surface", "add(infer=True)", size, inferred),
        _row("mem0 surface", "search", size, searches),
    ]


def _agents(memory: Memory, texts: list[str]) -> list[dict[str, Any]]:
    from memstrata.integrations.openai_agents import MemstrataSession

    session = MemstrataSession("bench", memory, user_id="bench")
    size = len(texts)

    def add(text: str) -> Callable[[], object]:
        return lambda: asyncio.run(session.add_items([{"role": "user", "content": text}]))

    adds = timed_ms([add(t) for t in texts])
    reads = timed_ms([lambda: asyncio.run(session.get_items(limit=20)) for _ in range(_LOOKUPS)])
    return [
        _row("agents session", "add_items (1 item)", size, adds),
        _row("agents session", "get_items(20)", size, reads),
    ]


def _run(name: str, memory: Memory, texts: list[str], questions: list[str]) -> list[dict[str, Any]]:
    if name == "langgraph":
        return _langgraph(memory, texts, questions)
    if name == "mem0":
        return _mem0(memory, texts, questions)
    return _agents(memory, texts)


def run_adapters(
    data: Path, out_dir: Path, sizes: Sequence[int], say: Callable[[str], None]
) -> list[dict[str, Any]]:
    """Every adapter at every size, each in a fresh store; writes ``adapters.{json,md}``."""
    texts = user_turns(data, max(sizes))
    questions = [q.question for q in load_questions(data)][:_QUERIES]
    rows: list[dict[str, Any]] = []
    for size in sizes:
        for name in ("langgraph", "mem0", "agents"):
            with (
                tempfile.TemporaryDirectory() as folder,
                Memory(Path(folder) / "bench.db") as memory,
            ):
                say(f"{name}: {size} items")
                rows += _run(name, memory, texts[:size], questions)
    table = markdown_table(
        ["adapter", "operation", "items", "p50 ms", "p95 ms", "p99 ms"],
        [
            [
                r["adapter"],
                r["operation"],
                r["items"],
                *(f"{r[p]:.2f}" for p in ("p50", "p95", "p99")),
            ]
            for r in rows
        ],
    )
    head = (
        "# Adapters (default configuration, LongMemEval-dev user turns, one namespace)\n\n"
        f"{len(questions)} real questions as queries; {_LOOKUPS} lookups of random keys.\n\n"
    )
    write_results(out_dir, "adapters", {"rows": rows, "sizes": list(sizes)}, head + table)
    return rows
