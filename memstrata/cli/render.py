"""Turning records into terminal tables and JSON for the CLI."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.table import Table

from memstrata.model import Episode, Fact, Hit, StoreStats


def to_jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    return value


def print_json(console: Console, value: Any) -> None:
    console.print_json(json.dumps(to_jsonable(value), ensure_ascii=False))


def hits_text(hits: Sequence[Hit]) -> str:
    """Hits as a dated list: what was said, when, by whom, and where it came from."""
    lines: list[str] = []
    for rank, hit in enumerate(hits, start=1):
        who = f"{hit.speaker}: " if hit.speaker else ""
        found = " ".join(f"{name}#{r}" for name, r in hit.ranks.items())
        session = f" · session {hit.session_id}" if hit.session_id else ""
        lines.append(f"{rank}. [{hit.occurred_at:%Y-%m-%d %H:%M}] {who}{hit.text}")
        lines.append(f"   id {hit.id}{session} · score {hit.score:.4f} · {found}")
    return "\n".join(lines) if lines else "(no hits)"


def facts_text(facts: Sequence[Fact]) -> str:
    """Facts as lines: the triple, its validity interval and its state."""
    lines = []
    for f in facts:
        until = "now" if f.invalid_at is None else f"{f.invalid_at:%Y-%m-%d}"
        state = " [retracted]" if f.expired_at is not None else ""
        lines.append(
            f"{f.subject} {f.predicate} {f.object}  "
            f"({f.valid_at:%Y-%m-%d} .. {until}){state}  id {f.id}"
        )
    return "\n".join(lines) if lines else "(no facts)"


def stats_table(stats: StoreStats) -> Table:
    """The store's counts: one row per namespace, the store itself in the title."""
    size = f"{stats.bytes_on_disk / 1e6:,.1f} MB" if stats.bytes_on_disk else "-"
    table = Table(
        title=f"{stats.path} · schema {stats.schema_version} · "
        f"embedder {stats.embedder or '(none yet)'} · {size}",
        title_justify="left",
    )
    columns = ("namespace", "episodes", "deleted", "sessions", "vectors", "pending vectors")
    more = ("entities", "facts", "notes", "queued", "failed", "first", "last")
    for column in (*columns, *more):
        table.add_column(column, justify="left" if column == "namespace" else "right")
    for n in stats.namespaces:
        counts = (n.episodes, n.deleted, n.sessions, n.vectors, n.pending_vectors)
        structure = (n.entities, n.facts, n.notes, n.queued_for_extraction, n.extraction_failed)
        table.add_row(
            n.namespace,
            *(f"{c:,}" for c in (*counts, *structure)),
            *(f"{t:%Y-%m-%d}" if t else "-" for t in (n.first_occurred_at, n.last_occurred_at)),
        )
    return table


def episode_table(episodes: Sequence[Episode]) -> Table:
    table = Table()
    for column in ("id", "when", "session", "speaker", "text", "deleted"):
        table.add_column(column, overflow="fold")
    for e in episodes:
        table.add_row(
            e.id,
            e.occurred_at.strftime("%Y-%m-%d %H:%M"),
            e.session_id or "",
            e.speaker or "",
            e.content,
            "" if e.deleted_at is None else e.deleted_at.isoformat(),
        )
    return table
