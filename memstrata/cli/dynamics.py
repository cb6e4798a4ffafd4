"""CLI commands of memory dynamics: consolidate, jobs, worker, forget, unarchive,
pin, profile, summaries, policy, and the ``task`` group for working memory.

Registered on the main app when memstrata.cli.main is imported."""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Annotated, get_args

import typer
from rich.progress import Progress, TaskID

from memstrata.cli.common import JsonFlag, NowOption, app, err, memory_of, out
from memstrata.cli.options import BudgetAlias, TokenBudgetOption, renamed
from memstrata.cli.render import print_json
from memstrata.errors import InvalidInput
from memstrata.model import Job, SummaryLevel, Task

task_app = typer.Typer(help="Working memory for agent loops: tasks, subgoals, steps.")
app.add_typer(task_app, name="task")
KindOption = Annotated[str, typer.Option("--kind", help="note or summary")]


def _job_line(job: Job) -> str:
    took = ""
    if job.started_at is not None and job.finished_at is not None:
        took = f" in {(job.finished_at - job.started_at).total_seconds():.1f} s"
    result = ", ".join(f"{k} {v}" for k, v in job.result.items())
    error = f" error: {job.error}" if job.error else ""
    return (
        f"{job.id} {job.kind} {job.namespace}: {job.state} ({job.phase or '-'} "
        f"{job.done}/{job.total}, attempt {job.attempts}){took}"
        + (f"; {result}" if result else "")
        + error
    )


class _Bars:
    """A progress bar per phase of a job."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.bars: dict[str, TaskID] = {}

    def __call__(self, phase: str, done: int, total: int) -> None:
        bar = self.bars.get(phase)
        if bar is None:
            bar = self.bars[phase] = self.progress.add_task(phase, total=max(total, 1))
        self.progress.update(bar, completed=done, total=max(total, 1))


@app.command()
def consolidate(
    ctx: typer.Context,
    now: NowOption = None,
    background: Annotated[
        bool, typer.Option("--background", help="only queue it for a worker")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """One consolidation round: merge near-duplicate notes, promote, summarise events
    and topics, rebuild the profile. A job: resumed by `memstrata jobs --run` if cut."""
    with memory_of(ctx) as memory, Progress(console=err, transient=True) as progress:
        job = memory.consolidate(now=now, background=background, progress=_Bars(progress))
    if as_json:
        print_json(out, job)
    else:
        out.print(_job_line(job), markup=False)


@app.command()
def jobs(
    ctx: typer.Context,
    run: Annotated[
        bool, typer.Option("--run", help="run queued jobs and resume abandoned ones first")
    ] = False,
    every: Annotated[bool, typer.Option("--all", help="every namespace")] = False,
    limit: Annotated[int, typer.Option(help="how many")] = 20,
    as_json: JsonFlag = False,
) -> None:
    """Background jobs, newest first (of the namespace, or --all)."""
    with memory_of(ctx) as memory:
        ran = []
        if run:
            with Progress(console=err, transient=True) as progress:
                memory.schedule_due()
                ran = memory.run_jobs(progress=_Bars(progress))
        found = memory.jobs(namespace=None if every else memory.settings.namespace, limit=limit)
    if as_json:
        print_json(out, found)
        return
    if run:
        out.print(f"ran {len(ran)} job(s)" if ran else "no job was waiting")
    for job in found:
        out.print(_job_line(job), markup=False)
    if not found and not run:
        out.print("(no jobs)")


@app.command()
def worker(
    ctx: typer.Context,
    poll: Annotated[float, typer.Option(help="seconds between looks when idle", min=0.05)] = 1.0,
) -> None:
    """Do the store's background work until stopped (Ctrl-C or SIGTERM): extract
    what add() queued (MEMSTRATA_EXTRACT_ON_ADD=false) in every namespace, start
    the jobs policies make due and run queued jobs. Several may run at once."""
    stop = threading.Event()

    def stopped(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, stopped)
    signal.signal(signal.SIGINT, stopped)
    with memory_of(ctx) as memory:
        memory.start_worker(poll_s=poll)
        err.print(f"worker on {memory.store.path}: Ctrl-C to stop")
        while not stop.wait(0.5):
            pass
    err.print("worker stopped")


@app.command()
def forget(
    ctx: typer.Context,
    threshold: Annotated[
        float | None, typer.Option(help="retention below which to archive (default 0.05)")
    ] = None,
    record_id: Annotated[
        list[str] | None, typer.Option("--id", help="archive exactly these records")
    ] = None,
    kind: KindOption = "note",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="only list, with why")] = False,
    now: NowOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Archive faded notes and summaries (reversible with `unarchive`; episodes are never
    touched)."""
    with memory_of(ctx) as memory:
        found = memory.forget(
            threshold=threshold, ids=record_id, record_kind=kind, dry_run=dry_run, now=now
        )
    if as_json:
        print_json(out, found)
        return
    verb = "would archive" if dry_run else "archived"
    out.print(f"{verb} {len(found)}")
    for f in found:
        out.print(f"{f.record_kind} {f.record_id} ({f.reason}): {f.text}", markup=False)


@app.command()
def unarchive(
    ctx: typer.Context,
    record_id: Annotated[str, typer.Argument(help="note or summary id")],
    kind: KindOption = "note",
) -> None:
    """Bring an archived note or summary back."""
    with memory_of(ctx) as memory:
        state = memory.unarchive(record_id, record_kind=kind)
    out.print(f"restored {state.record_kind} {state.record_id} ({state.layer}-term)")


@app.command()
def pin(
    ctx: typer.Context,
    record_id: Annotated[str, typer.Argument(help="note or summary id")],
    kind: KindOption = "note",
    off: Annotated[bool, typer.Option("--off", help="unpin")] = False,
) -> None:
    """Pin a note or summary so it never fades below the floor (or --off to unpin)."""
    with memory_of(ctx) as memory:
        state = memory.pin(record_id, record_kind=kind, is_pinned=not off)
    out.print(f"{'pinned' if state.is_pinned else 'unpinned'} {state.record_id}")


@app.command()
def profile(ctx: typer.Context, as_of: NowOption = None, as_json: JsonFlag = False) -> None:
    """The namespace's portrait: current facts and preferences, with what they replaced."""
    with memory_of(ctx) as memory:
        found = memory.profile(as_of=as_of)
    if as_json:
        print_json(out, found)
        return
    subject = None
    for line in found.lines:
        if line.subject != subject:
            subject = line.subject
            out.print(f"{subject or 'unattributed'}", markup=False)
        before = f" (before: {'; '.join(line.previously)})" if line.previously else ""
        out.print(
            f"  - {line.statement} [since {line.since:%Y-%m-%d}; "
            f"{line.record_kind} {line.record_id}]{before}",
            markup=False,
        )


@app.command()
def summaries(
    ctx: typer.Context,
    query: Annotated[str | None, typer.Argument(help="rank by this query")] = None,
    level: Annotated[str | None, typer.Option(help="event, topic or profile")] = None,
    limit: Annotated[int, typer.Option(help="how many")] = 20,
    as_json: JsonFlag = False,
) -> None:
    """The summary tree (event, topic, profile); `search --within ID` goes down one."""
    levels: tuple[SummaryLevel, ...] = get_args(SummaryLevel)
    chosen = next((known for known in levels if known == level), None)
    if level is not None and chosen is None:
        raise InvalidInput("must be event, topic or profile", field="--level")
    with memory_of(ctx) as memory:
        found = memory.summaries(query, level=chosen, limit=limit)
    if as_json:
        print_json(out, found)
        return
    for s in found:
        out.print(
            f"[{s.started_at:%Y-%m-%d}] {s.level} {s.id} ({len(s.children)} children): {s.title}",
            markup=False,
        )


@app.command()
def policy(
    ctx: typer.Context,
    forget_below: Annotated[float | None, typer.Option(help="retention threshold")] = None,
    forget_every: Annotated[float | None, typer.Option(help="seconds between forgetting")] = None,
    consolidate_every: Annotated[
        float | None, typer.Option(help="seconds between consolidations")
    ] = None,
    show: Annotated[bool, typer.Option("--show", help="print the policy, change nothing")] = False,
    as_json: JsonFlag = False,
) -> None:
    """When the namespace forgets and consolidates on its own (run by a worker:
    MEMSTRATA_WORKER=true, or `memstrata jobs --run` from cron)."""
    with memory_of(ctx) as memory:
        found = (
            memory.policy()
            if show
            else memory.set_policy(
                forget_below=forget_below,
                forget_every=forget_every,
                consolidate_every=consolidate_every,
            )
        )
    if as_json:
        print_json(out, found)
    else:
        out.print(
            f"{found.namespace}: forget below {found.forget_below} every "
            f"{found.forget_every_s} s; consolidate every {found.consolidate_every_s} s",
            markup=False,
        )


def _print_task(task: Task, as_json: bool) -> None:
    if as_json:
        print_json(out, task)
        return
    state = "closed" if task.closed_at is not None else "open"
    out.print(f"{task.id} ({state}) {task.title}", markup=False)
    for g in task.subgoals:
        mark = "x" if g.closed_at is not None else " "
        out.print(f"  [{mark}] {g.id} {g.title} ({g.steps} steps)", markup=False)


@task_app.command("open")
def task_open(
    ctx: typer.Context,
    title: Annotated[str, typer.Argument(help="what the task is")],
    as_json: JsonFlag = False,
) -> None:
    """Open a task; prints its id."""
    with memory_of(ctx, create=True) as memory:
        _print_task(memory.open_task(title), as_json)


@task_app.command("subgoal")
def task_subgoal(
    ctx: typer.Context,
    task_id: Annotated[str, typer.Argument(help="the task")],
    title: Annotated[str, typer.Argument(help="the subgoal")],
    as_json: JsonFlag = False,
) -> None:
    """Open a subgoal (the active one, if any, is closed into a summary note first)."""
    with memory_of(ctx) as memory:
        _print_task(memory.open_subgoal(task_id, title), as_json)


@task_app.command("step")
def task_step(
    ctx: typer.Context,
    task_id: Annotated[str, typer.Argument(help="the task")],
    content: Annotated[str, typer.Argument(help="what was done or seen")],
    kind: Annotated[str, typer.Option(help="action, observation or thought")] = "action",
) -> None:
    """Record a step under the active subgoal."""
    with memory_of(ctx) as memory:
        episode = memory.step(task_id, content, kind=kind)
    out.print(episode.id)


@task_app.command("close-subgoal")
def task_close_subgoal(
    ctx: typer.Context,
    task_id: Annotated[str, typer.Argument(help="the task")],
    summary: Annotated[str | None, typer.Option(help="the summary (default: distilled)")] = None,
) -> None:
    """Close the active subgoal into a summary note."""
    with memory_of(ctx) as memory:
        note = memory.close_subgoal(task_id, summary=summary)
    out.print(f"{note.id}: {note.text}", markup=False)


@task_app.command("close")
def task_close(
    ctx: typer.Context,
    task_id: Annotated[str, typer.Argument(help="the task")],
    summary: Annotated[str | None, typer.Option(help="the summary (default: distilled)")] = None,
) -> None:
    """Close the task (and its active subgoal) into a summary note."""
    with memory_of(ctx) as memory:
        note = memory.close_task(task_id, summary=summary)
    out.print(f"{note.id}: {note.text}", markup=False)


@task_app.command("show")
def task_show(
    ctx: typer.Context,
    task_id: Annotated[
        str | None, typer.Argument(help="the task (default: list open ones)")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """A task and its subgoals, or every open task."""
    with memory_of(ctx) as memory:
        found = [memory.task(task_id)] if task_id else memory.tasks()
    if as_json:
        print_json(out, found)
        return
    for task in found:
        _print_task(task, False)
    if not found:
        out.print("(no open tasks; `memstrata task open TITLE` opens one)")


@task_app.command("context")
def task_context(
    ctx: typer.Context,
    task_id: Annotated[str, typer.Argument(help="the task")],
    token_budget: TokenBudgetOption = None,
    budget: BudgetAlias = None,
) -> None:
    """The bounded working context: closed subgoals in a line each, the active one in full."""
    tokens = renamed(token_budget, budget, "token-budget") or 1000
    with memory_of(ctx) as memory:
        text = memory.working_context(task_id, token_budget=tokens)
    out.print(text, markup=False)
