"""Working memory for agent loops (HiAgent): a task, its subgoals, and the steps
taken under the active one.

Steps are episodes (session = the task), so every action and observation is
kept and searchable. Closing a subgoal distils its steps into one summary note
(short-term, sourced from those steps); the working context then shows each
closed subgoal as that one line and only the active subgoal in detail.
"""

from __future__ import annotations

from collections.abc import Sequence

from memstrata.model import Episode, Task

STEP_KINDS = ("action", "observation", "thought")
MAX_STEP_CHARS = 300  # a step's share of a summary line
CHARS_PER_TOKEN = 4


def step_kind(episode: Episode) -> str:
    kind = episode.metadata.get("step")
    return kind if isinstance(kind, str) else "step"


def subgoal_steps(episodes: Sequence[Episode], subgoal_id: str | None) -> list[Episode]:
    """The steps taken under ``subgoal_id`` (None: outside any subgoal), in order."""
    return [e for e in episodes if e.metadata.get("subgoal_id") == subgoal_id]


def distil(title: str, steps: Sequence[Episode]) -> str:
    """An extractive summary of a closed subgoal: what was done, and what came of it."""
    actions = [_clip(e.content) for e in steps if step_kind(e) == "action"]
    observed = [e for e in steps if step_kind(e) == "observation"]
    parts = [title.rstrip(".") + "."]
    if actions:
        parts.append("Did: " + "; ".join(actions) + ".")
    if observed:
        parts.append("Result: " + _clip(observed[-1].content))
    if not steps:
        parts.append("No steps recorded.")
    return " ".join(parts)


def _clip(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= MAX_STEP_CHARS else flat[: MAX_STEP_CHARS - 1] + "…"


def render(task: Task, steps: Sequence[Episode], summaries: dict[str, str], budget: int) -> str:
    """The working context of ``task`` within ``budget`` tokens: the task, one line
    per closed subgoal, the active subgoal's steps newest kept first."""
    head = [f"Task: {task.title} (opened {task.opened_at:%Y-%m-%d %H:%M} UTC)"]
    done = [
        f"- done: {g.title}: {summaries.get(g.note_id or '', g.title)}"
        for g in task.subgoals
        if g.closed_at is not None
    ]
    active = task.active
    detail = subgoal_steps(steps, None if active is None else active.id)
    tail = [] if active is None else [f"Now: {active.title}"]
    lines = [f"  [{step_kind(e)}] {e.content}" for e in detail]
    room = budget * CHARS_PER_TOKEN - sum(len(x) + 1 for x in head + tail)
    kept_done: list[str] = []
    for line in reversed(done):  # the latest closed subgoals matter most
        if len(line) + 1 > room // 2 and kept_done:
            break
        kept_done.insert(0, line)
        room -= len(line) + 1
    kept: list[str] = []
    for line in reversed(lines):
        if len(line) + 1 > room and kept:
            break
        kept.insert(0, line if len(line) + 1 <= room else line[: max(0, room - 2)] + "…")
        room -= len(line) + 1
    if len(kept) < len(lines):
        kept.insert(0, f"  … {len(lines) - len(kept)} earlier steps left out")
    if len(kept_done) < len(done):
        kept_done.insert(0, f"- … {len(done) - len(kept_done)} earlier subgoals left out")
    return "\n".join(head + kept_done + tail + kept)
