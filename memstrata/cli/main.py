"""memstrata CLI: add, search, context, answer, get, delete, restore, purge, export,
import, stats, namespaces, flush, reembed, structure reads and demo; the bench,
dynamics and service commands live in their own modules. `memstrata COMMAND --help`
documents each."""

from __future__ import annotations

import json
import os
import sys
import time
from contextlib import AbstractContextManager, nullcontext
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import Progress

from memstrata.cli import options
from memstrata.cli.common import (
    JsonFlag,
    NowOption,
    app,
    bench_app,
    err,
    memory_of,
    out,
    settings_of,
)
from memstrata.cli.files import open_for_writing, read_messages, read_text
from memstrata.cli.options import (
    BudgetAlias,
    MetaAlias,
    MetadataOption,
    SessionAlias,
    SessionIdOption,
    SinceOption,
    SpeakerOption,
    TokenBudgetOption,
    UntilOption,
    renamed,
)
from memstrata.cli.render import episode_table, facts_text, hits_text, print_json, stats_table
from memstrata.errors import Conflict, InvalidInput, MemstrataError, NotFound, StoreError
from memstrata.memory import Memory
from memstrata.model import Added
from memstrata.providers.registry import AUTO, default_embedder
from memstrata.timeutil import now

EXIT_CODES: dict[type[MemstrataError], int] = {
    InvalidInput: 2,
    NotFound: 3,
    StoreError: 4,
    Conflict: 5,
}

WorkersOption = Annotated[
    int | None,
    typer.Option(
        "--workers",
        min=0,
        help="worker processes embedding and extracting meanwhile (default: one per core "
        "from 2,000 messages on; 0: all in this process)",
    ),
]
BULK_MIN = 2000  # messages from which add --file and import load on every core
ADD_BATCH = 500  # messages per add() of add --file: each one durable on return


def _loading(memory: Memory, count: int, workers: int | None) -> AbstractContextManager[None]:
    """A bulk load on worker processes for a big file, else plain adds."""
    if workers is None:
        workers = (os.cpu_count() or 1) if count >= BULK_MIN else 0
    return memory.bulk(workers) if workers > 0 else nullcontext()


@app.command()
def add(
    ctx: typer.Context,
    text: Annotated[str | None, typer.Argument(help="the text to remember")] = None,
    file: Annotated[Path | None, typer.Option(help="JSON or JSONL file of messages")] = None,
    session_id: SessionIdOption = None,
    speaker: Annotated[str | None, typer.Option(help="who said it")] = None,
    role: Annotated[str | None, typer.Option(help="chat role")] = None,
    occurred_at: Annotated[str | None, typer.Option(help="ISO 8601 time with offset")] = None,
    metadata: MetadataOption = None,
    session: SessionAlias = None,
    meta: MetaAlias = None,
    workers: WorkersOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Remember a text, or every message of a JSON/JSONL file."""
    if text is None and file is None:
        raise InvalidInput("give the TEXT to remember, or --file with messages", field="add")
    if text is not None and file is not None:
        raise InvalidInput("give a TEXT or --file, not both", field="add")
    messages = [] if file is None else read_messages(file)  # a broken file creates nothing
    with memory_of(ctx, create=True) as memory:
        kwargs: dict[str, Any] = {
            "session_id": renamed(session_id, session, "session-id"),
            "speaker": speaker,
            "role": role,
            "occurred_at": occurred_at,
            "metadata": options.metadata(renamed(metadata, meta, "metadata")),
        }
        if text is not None:
            added = memory.add(text, **kwargs)
        else:
            stored_before = _stored_already(memory, messages)
            if stored_before:
                err.print(
                    f"{stored_before:,} of {len(messages):,} messages are already stored "
                    "(by id); they are checked, not added again",
                    markup=False,
                )
            with _loading(memory, len(messages), workers):
                added = _add_in_batches(memory, messages, kwargs)
    if as_json:
        print_json(out, list(added))
    else:
        present, failed = len(added.already_present), len(added.extraction_failed)
        out.print(f"added {len(added) - present} episode(s)")
        if present:
            out.print(f"already present: {present} episode(s)")
        if failed:
            out.print(f"extraction failed: {failed} episode(s), kept and queued for a retry")
        for e in added:
            out.print(e.id)


def _stored_already(memory: Memory, messages: list[dict[str, Any]]) -> int:
    """How many of the messages carry an id the namespace already holds (a re-run)."""
    ids = [m["id"] for m in messages if isinstance(m, dict) and isinstance(m.get("id"), str)]
    namespace = memory.settings.namespace
    return sum(
        len(memory.store.episodes.get(namespace, ids[i : i + 1000]))
        for i in range(0, len(ids), 1000)
    )


def _add_in_batches(
    memory: Memory, messages: list[dict[str, Any]], kwargs: dict[str, Any]
) -> Added:
    """Add a file's messages 500 at a time, saying on stderr, at most every two
    seconds and at the end, how many are durable so far and how fast."""
    added = Added()
    started = shown = time.monotonic()
    for start in range(0, len(messages), ADD_BATCH):
        chunk = memory.add(messages[start : start + ADD_BATCH], **kwargs)
        added += chunk
        added.already_present += chunk.already_present
        added.extraction_failed += chunk.extraction_failed
        done, moment = len(added), time.monotonic()
        if moment - shown >= 2 or done == len(messages):
            shown = moment
            present, rate = len(added.already_present), done / max(moment - started, 1e-9)
            err.print(
                f"messages 1-{done:,} of {len(messages):,} stored and durable "
                f"({done - present:,} new, {present:,} already present; {rate:,.0f} msg/s)",
                markup=False,
                highlight=False,
            )
    return added


@app.command()
def search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="what to look for")],
    limit: Annotated[int, typer.Option(help="how many hits")] = 10,
    session_id: SessionIdOption = None,
    speaker: SpeakerOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    metadata: MetadataOption = None,
    now: NowOption = None,
    within: Annotated[
        str | None, typer.Option(help="only under this summary (see `summaries`)")
    ] = None,
    as_json: JsonFlag = False,
    session: SessionAlias = None,
    meta: MetaAlias = None,
) -> None:
    """Search the namespace; hits come dated, with their ids and retriever ranks."""
    chosen = options.filters(
        renamed(session_id, session, "session-id"),
        speaker,
        since,
        until,
        renamed(metadata, meta, "metadata"),
    )
    with memory_of(ctx) as memory:
        hits = memory.search(query, limit=limit, filters=chosen, now=now, within=within)
    if as_json:
        print_json(out, hits)
    else:
        out.print(hits_text(hits), markup=False, highlight=False)


@app.command()
def context(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="the question")],
    token_budget: TokenBudgetOption = None,
    tokenizer: Annotated[
        str | None,
        typer.Option(help="what the budget counts: qwen2.5, cl100k, o200k, estimate, a .json"),
    ] = None,
    session_id: SessionIdOption = None,
    speaker: SpeakerOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    metadata: MetadataOption = None,
    now: NowOption = None,
    as_json: JsonFlag = False,
    budget: BudgetAlias = None,
) -> None:
    """Print what memory holds about a question: a fenced, dated block for a prompt
    (with --json, also what each label cites and the block's size in tokens)."""
    chosen = options.filters(session_id, speaker, since, until, metadata)
    tokens = renamed(token_budget, budget, "token-budget") or 1000
    with memory_of(ctx) as memory:
        block = memory.context(
            query, token_budget=tokens, filters=chosen, now=now, tokenizer=tokenizer
        )
    if as_json:
        print_json(out, block)
    else:
        out.print(block.text, markup=False, highlight=False, soft_wrap=True)


@app.command()
def answer(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="the question")],
    token_budget: TokenBudgetOption = None,
    now: NowOption = None,
    as_json: JsonFlag = False,
    budget: BudgetAlias = None,
) -> None:
    """Answer a question from memory with the configured LLM (MEMSTRATA_LLM_URL/MODEL)."""
    tokens = renamed(token_budget, budget, "token-budget") or 2000
    with memory_of(ctx) as memory:
        result = memory.answer(query, token_budget=tokens, now=now)
    if as_json:
        print_json(out, result)
    else:
        out.print(result.text, markup=False, highlight=False)


@app.command()
def get(ctx: typer.Context, episode_id: str, as_json: JsonFlag = False) -> None:
    """Show one episode."""
    with memory_of(ctx) as memory:
        episode = memory.get(episode_id)
    print_json(out, episode) if as_json else out.print(episode_table([episode]))


@app.command()
def delete(ctx: typer.Context, episode_id: str) -> None:
    """Soft-delete an episode (undo with `restore`)."""
    with memory_of(ctx) as memory:
        memory.delete(episode_id)
    out.print(f"deleted {episode_id}")


@app.command()
def restore(ctx: typer.Context, episode_id: str) -> None:
    """Undo a soft delete."""
    with memory_of(ctx) as memory:
        memory.restore(episode_id)
    out.print(f"restored {episode_id}")


@app.command()
def purge(
    ctx: typer.Context,
    episode_ids: Annotated[list[str] | None, typer.Argument(help="episode ids")] = None,
    everything: Annotated[bool, typer.Option(help="remove the whole namespace")] = False,
    yes: Annotated[bool, typer.Option("--yes", help="confirm a hard delete")] = False,
) -> None:
    """Hard-delete episodes, or a whole namespace (cannot be undone)."""
    if not yes:
        raise InvalidInput("purge cannot be undone; pass --yes to confirm", field="--yes")
    with memory_of(ctx) as memory:
        count = memory.purge(episode_ids or None, everything=everything)
    out.print(f"purged {count} episode(s)")


@app.command("export")
def export_(
    ctx: typer.Context,
    output: Annotated[Path | None, typer.Option("--out", help="file (default stdout)")] = None,
    all_namespaces: Annotated[bool, typer.Option("--all", help="every namespace")] = False,
) -> None:
    """Write episodes as JSONL."""
    with memory_of(ctx) as memory:
        namespace = None if all_namespaces else memory.settings.namespace
        if output is None:
            count = memory.export(sys.stdout, namespace=namespace)
        else:
            with open_for_writing(output) as handle:
                count = memory.export(handle, namespace=namespace)
    err.print(f"exported {count} episode(s)")


@app.command("import")
def import_(
    ctx: typer.Context,
    source: Annotated[Path, typer.Argument(help="JSONL file (- for stdin)")],
    workers: WorkersOption = None,
) -> None:
    """Read a JSONL export; ids already present are skipped. With --namespace, every
    episode goes to that namespace instead of the one it was exported from."""
    lines = read_text(source, "SOURCE").splitlines()
    with (
        memory_of(ctx, create=True) as memory,
        _loading(memory, sum(1 for line in lines if line.strip()), workers),
        Progress(console=err, transient=True) as bar,
    ):
        task = bar.add_task("importing", total=None)
        report = memory.import_(
            lines,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
            namespace=ctx.obj["namespace"],
        )
    out.print(f"added {report.added}, skipped {report.skipped} already present")


@app.command()
def stats(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Counts per namespace, size on disk, embedder."""
    with memory_of(ctx) as memory:
        result = memory.stats()
    print_json(out, result) if as_json else out.print(stats_table(result))


@app.command()
def namespaces(ctx: typer.Context) -> None:
    """List the namespaces of the store."""
    with memory_of(ctx) as memory:
        for name in memory.namespaces():
            out.print(name)


@app.command()
def flush(ctx: typer.Context) -> None:
    """Embed and extract what is still waiting, and finish index builds."""
    with memory_of(ctx) as memory:
        out.print(f"embedded {memory.flush()} episode(s)")


@app.command()
def reembed(ctx: typer.Context) -> None:
    """Replace every vector with one from the configured embedder (auto: the
    default for a new store)."""
    ctx.obj["on_model_change"] = "reembed"
    if settings_of(ctx).embedder == AUTO:
        ctx.obj["embedder"] = default_embedder()
    with memory_of(ctx) as memory:
        out.print(f"store now uses {memory.embedder.name}")


@app.command()
def facts(
    ctx: typer.Context,
    subject: Annotated[str | None, typer.Option(help="subject name or alias")] = None,
    predicate: Annotated[str | None, typer.Option(help="e.g. lives_in, works_at")] = None,
    as_of: Annotated[str | None, typer.Option(help="true in the world at (ISO 8601)")] = None,
    known_at: Annotated[str | None, typer.Option(help="believed at (ISO 8601)")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Facts with their validity interval; closed and retracted ones are marked."""
    with memory_of(ctx) as memory:
        found = memory.facts(subject, predicate, as_of=as_of, known_at=known_at)
    print_json(out, found) if as_json else out.print(facts_text(found), markup=False)


@app.command()
def timeline(
    ctx: typer.Context,
    entity: Annotated[str, typer.Argument(help="entity name or alias")],
    as_json: JsonFlag = False,
) -> None:
    """Every fact about an entity, in event-time order."""
    with memory_of(ctx) as memory:
        found = memory.timeline(entity)
    print_json(out, found) if as_json else out.print(facts_text(found), markup=False)


@app.command()
def entities(
    ctx: typer.Context,
    kind: Annotated[str | None, typer.Option(help="person, place, organization, pet ...")] = None,
    as_json: JsonFlag = False,
) -> None:
    """The entities of the namespace."""
    with memory_of(ctx) as memory:
        found = memory.entities(kind=kind)
    if as_json:
        print_json(out, found)
    else:
        for e in found:
            aliases = f" (also {', '.join(e.aliases)})" if e.aliases else ""
            out.print(f"{e.name} [{e.kind}]{aliases}  id {e.id}", markup=False)


@app.command()
def notes(
    ctx: typer.Context,
    kind: Annotated[str | None, typer.Option(help="fact, preference, plan, event, opinion")] = None,
    limit: Annotated[int, typer.Option(help="how many")] = 100,
    archived: Annotated[bool, typer.Option("--archived", help="archived ones too")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Distilled notes, oldest first."""
    with memory_of(ctx) as memory:
        found = memory.notes(kind=kind, limit=limit, include_archived=archived)
    if as_json:
        print_json(out, found)
    else:
        for n in found:
            out.print(f"[{n.occurred_at:%Y-%m-%d}] ({n.kind}) {n.text}", markup=False)


@app.command()
def events(
    ctx: typer.Context,
    session_id: SessionIdOption = None,
    as_json: JsonFlag = False,
    session: SessionAlias = None,
) -> None:
    """Events: runs of episodes that belong together, with their time span and title."""
    with memory_of(ctx) as memory:
        found = memory.events(session_id=renamed(session_id, session, "session-id"))
    if as_json:
        print_json(out, found)
    else:
        for e in found:
            out.print(
                f"[{e.started_at:%Y-%m-%d %H:%M} .. {e.ended_at:%H:%M}] "
                f"({e.session_id or '-'}, {len(e.episode_ids)} episodes) {e.title}",
                markup=False,
            )


@app.command()
def history(
    ctx: typer.Context,
    record_kind: Annotated[str, typer.Argument(help="entity, fact or note")],
    record_id: Annotated[str, typer.Argument(help="its id")],
    as_json: JsonFlag = False,
) -> None:
    """Every change to an entity, fact or note, with the reason."""
    with memory_of(ctx) as memory:
        found = memory.history(record_kind, record_id)
        if not found:
            raise NotFound(record_kind, record_id, memory.settings.namespace)
    if as_json:
        print_json(out, found)
    else:
        for h in found:
            out.print(
                f"{h.at:%Y-%m-%d %H:%M:%S} {h.action}: {h.reason} "
                f"(episodes {', '.join(h.episode_ids)})",
                markup=False,
            )


@app.command()
def demo(ctx: typer.Context) -> None:
    """Ingest the bundled sample conversation, then answer a few questions."""
    sample = resources.files("memstrata") / "data" / "sample_conversation.jsonl"
    messages = [json.loads(line) for line in sample.read_text(encoding="utf-8").splitlines()]
    ctx.obj["path"] = ctx.obj["path"] or "memstrata-demo.db"
    ctx.obj["namespace"] = ctx.obj["namespace"] or "demo"
    with memory_of(ctx, create=True) as memory:
        memory.add(messages)
        count = memory.stats(memory.settings.namespace).namespaces[0].episodes
        out.print(
            f"[bold]{count} episodes[/bold] in namespace {memory.settings.namespace!r} "
            f"of {memory.settings.path}, embedded with {memory.embedder.name}"
        )
        out.print(
            "Scores are the ranker's: higher is better, only their order counts "
            "(they may be negative)."
        )
        for question in (
            "Which city did Maya move to?",
            "What is Maya allergic to?",
            "When is the trip to Japan?",
        ):
            out.print(f"\n[bold]? {question}[/bold]")
            out.print(hits_text(memory.search(question, limit=3)), markup=False, highlight=False)
        out.print("\n[bold]What memstrata distilled about Maya (facts true now)[/bold]")
        out.print(facts_text(memory.facts("Maya", as_of=now())), markup=False, highlight=False)
        out.print("\n[bold]Events[/bold]")
        for event in memory.events():
            out.print(
                f"[{event.started_at:%Y-%m-%d}] {len(event.episode_ids)} turns: {event.title}",
                markup=False,
                highlight=False,
            )
        question = "Where does Maya live now?"
        out.print(f"\n[bold]What memstrata would hand an LLM for: {question}[/bold]")
        block = memory.context(question, token_budget=300)
        out.print(block.text, markup=False, highlight=False, soft_wrap=True)
        counts = memory.consolidate().result
        out.print(
            "\n[bold]After a consolidation round[/bold] (event summaries: "
            f"{counts.get('events', 0)}, topics: {counts.get('topics', 0)}), the profile:"
        )
        for line in memory.profile().lines:
            before = f"  (before: {'; '.join(line.previously)})" if line.previously else ""
            out.print(f"- {line.statement}{before}", markup=False, highlight=False)


def main() -> None:
    """Entry point: typed errors become a message on stderr and an exit code."""
    try:
        app()
    except MemstrataError as exc:
        err.print(f"[red]error ({exc.code}):[/red] {exc}")
        code = next((c for kind, c in EXIT_CODES.items() if isinstance(exc, kind)), 1)
        sys.exit(code)


from memstrata.cli import bench as _bench  # noqa: E402  (registers its commands on bench_app)
from memstrata.cli import dynamics as _dynamics  # noqa: E402  (registers its commands on app)
from memstrata.cli import service as _service  # noqa: E402  (registers its commands on app)

__all__ = ["_bench", "_dynamics", "_service", "app", "bench_app", "main"]
