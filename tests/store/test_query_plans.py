"""Every statement the hot paths run is planned for a big file of many tenants.

The statements are not listed by hand: a real workload (adds with extraction,
searches with reinforcement, a flush, a consolidation, forgetting) runs over a
store of many namespaces with every SQLite statement traced, and each distinct
statement is then asked for its plan. A plan that walks a whole table, or a
whole record kind of one, grows with every other tenant's data and fails.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from memstrata import Memory
from memstrata.store.sqlite import connection
from memstrata.testing import HashEmbedder

T0 = datetime(2024, 1, 1, tzinfo=UTC)
NAMESPACES = 40
# Tables that grow with every tenant's data (the small ones, such as meta,
# namespaces, policies or an empty queue, may be read whole).
GROWING = {
    "episodes",
    "vectors",
    "changes",
    "entities",
    "entity_aliases",
    "facts",
    "notes",
    "sources",
    "history",
    "extracted",
    "events",
    "event_episodes",
    "note_keywords",
    "note_links",
    "structure_log",
    "strength",
    "summaries",
    "summary_children",
}
# Whole-file passes by design, each with why.
ALLOWED = {
    "SELECT e.namespace, e.seq, e.content, e.speaker FROM episodes e LEFT JOIN vectors": (
        "flush(): a maintenance pass over the file for episodes still missing a vector"
    ),
}
_WHOLE = re.compile(r"^SCAN (\w+)")
_TABLE = re.compile(r"\b(?:FROM|JOIN|UPDATE|INTO)\s+(\w+)(?:\s+(?:AS\s+)?(\w+))?", re.I)
_KIND_ONLY = re.compile(r"^SEARCH (\w+) USING (?:COVERING )?INDEX \S+ \(record_kind=\?\)$")


def _turns(i: int) -> list[dict[str, object]]:
    return [
        {
            "content": f"I moved to Lyon in {2000 + i} and adopted a cat called Tom{i}.",
            "speaker": "Ana",
            "occurred_at": T0 + timedelta(days=i),
        },
        {
            "content": f"Visited the Louvre with Clara{i}; I love tea.",
            "speaker": "Ana",
            "occurred_at": T0 + timedelta(days=i, hours=1),
        },
        {
            "content": "Here are some tips:\n\n1. **Stay hydrated**: drink water.",
            "role": "assistant",
            "speaker": "assistant",
            "occurred_at": T0 + timedelta(days=i, hours=2),
        },
    ]


@pytest.fixture
def traced(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    statements: list[str] = []
    opened = connection._open

    def tracing(path: str) -> sqlite3.Connection:
        conn = opened(path)
        conn.set_trace_callback(statements.append)
        return conn

    monkeypatch.setattr(connection, "_open", tracing)
    yield statements


def _bad_steps(db: Path, statement: str) -> list[str]:
    plan = sqlite3.connect(db)
    try:
        rows = plan.execute(f"EXPLAIN QUERY PLAN {statement}").fetchall()
    except sqlite3.Error:
        return []  # DDL, pragmas and transaction control have no plan
    finally:
        plan.close()
    tables = {}  # alias or name -> table
    for table, alias in _TABLE.findall(statement):
        tables[table] = table
        if alias and alias.upper() not in ("ON", "WHERE", "SET", "VALUES", "SELECT", "JOIN"):
            tables[alias] = table
    bad = []
    for row in rows:
        detail = str(row[3])
        whole = _WHOLE.match(detail) or _KIND_ONLY.match(detail)
        if whole and tables.get(whole.group(1), whole.group(1)) in GROWING:
            bad.append(detail)
    return bad


def test_no_hot_statement_walks_a_whole_table_of_a_many_tenant_file(
    tmp_path: Path, traced: list[str]
) -> None:
    db = tmp_path / "many.db"
    with Memory(db, embedder=HashEmbedder()) as memory:
        for n in range(NAMESPACES):
            for i in range(3):
                memory.add(_turns(i), namespace=f"tenant-{n}", session_id=f"s{i}")
    traced.clear()
    with Memory(db, embedder=HashEmbedder()) as memory:  # a fresh process's view
        memory.add(_turns(9), namespace="tenant-1", session_id="s9")
        for question in ("Where did Ana move?", "Who is Clara1?", "What does Ana love?"):
            assert memory.search(question, namespace="tenant-1", reinforce=True)
            memory.context(question, namespace="tenant-1", token_budget=300)
        memory.facts(namespace="tenant-1")
        memory.notes(namespace="tenant-1")
        memory.entities(namespace="tenant-1")
        memory.timeline("Ana", namespace="tenant-1")
        memory.flush()
        memory.consolidate(namespace="tenant-1", now=T0 + timedelta(days=60))
        memory.forget(namespace="tenant-1", now=T0 + timedelta(days=400), dry_run=True)
    statements = list(dict.fromkeys(s.strip() for s in traced if s.strip()))
    assert len(statements) > 30  # the workload did run through the store
    hot = [s for s in statements if not any(s.startswith(a) for a in ALLOWED)]
    bad = {s[:300]: steps for s in hot if (steps := _bad_steps(db, s))}
    assert not bad, "\n".join(f"{steps}: {s}" for s, steps in bad.items())
