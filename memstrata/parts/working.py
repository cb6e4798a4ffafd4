"""Memory's working-memory part: tasks, subgoals, steps, and the bounded working
context (see dynamics/working.py). Each verb takes the namespace already resolved."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from memstrata import validate
from memstrata.config import Settings
from memstrata.dynamics.strength import initial
from memstrata.dynamics.working import STEP_KINDS, distil, render, subgoal_steps
from memstrata.errors import InvalidInput, NotFound
from memstrata.index import analyzer
from memstrata.model import Episode, Metadata, Note, Task
from memstrata.resolve.notes import note_key
from memstrata.store.base import ChangeSet, Store
from memstrata.timeutil import now as utcnow

MAX_TITLE_CHARS = 500
MAX_STEPS = 10_000  # most steps of one task read back for its context


# Stores one episode: (namespace, content, session id, metadata) -> the episode.
Record = Callable[[str, str, str, Metadata], Episode]


class WorkingMemory:
    """Working memory for agent loops: a task's steps are episodes of its session,
    stored through ``record`` (Memory's add)."""

    def __init__(self, store: Store, settings: Settings, record: Record) -> None:
        self.store = store
        self.settings = settings
        self.record = record

    def open_task(self, ns: str, title: str) -> Task:
        task_id = uuid.uuid4().hex
        self.store.tasks.open_task(ns, task_id, _title(title), utcnow())
        return self.task(ns, task_id)

    def open_subgoal(self, ns: str, task_id: str, title: str) -> Task:
        task = self._open(ns, task_id)
        if task.active is not None:
            self.close_subgoal(ns, task_id, None)
        self.store.tasks.open_subgoal(task.id, uuid.uuid4().hex, _title(title), utcnow())
        return self.task(ns, task_id)

    def step(self, ns: str, task_id: str, content: str, kind: str) -> Episode:
        if kind not in STEP_KINDS:
            raise InvalidInput(f"must be one of {STEP_KINDS}", field="kind")
        task = self._open(ns, task_id)
        active = task.active
        metadata = {"task_id": task.id, "step": kind}
        if active is not None:
            metadata["subgoal_id"] = active.id
        episode = self.record(ns, content, task.id, metadata)
        self._hold_in_working_memory(ns, episode)
        return episode

    def _hold_in_working_memory(self, ns: str, episode: Episode) -> None:
        """Notes drawn from a step are working memory: detail that fades within hours,
        once its subgoal's summary note (short-term) carries what mattered."""
        note_ids = self.store.dynamics.note_ids_of(ns, [episode.id])
        notes = self.store.structure.notes(ns, limit=len(note_ids), ids=note_ids)
        fresh = [n for n in notes if n.episode_ids == (episode.id,)]
        if fresh:
            self.store.dynamics.put_strengths(
                ns,
                [initial(n, "working") for n in fresh],
                [("layer", "working: a step of an open task")] * len(fresh),
            )

    def close_subgoal(self, ns: str, task_id: str, summary: str | None) -> Note:
        task = self._open(ns, task_id)
        active = task.active
        if active is None:
            raise InvalidInput("the task has no open subgoal", field="task_id")
        if summary is not None:
            summary = validate.text(summary, "summary", self.settings.max_content_chars)
        steps = subgoal_steps(self._steps(ns, task), active.id)
        text = distil(active.title, steps) if summary is None else summary
        if summary is not None or not steps:
            steps.append(self._said(ns, task, text, active.id))
        note = self._summary_note(ns, active.title, text, steps)
        self.store.tasks.close("subgoals", active.id, note.id, note.created_at)
        return note

    def close_task(self, ns: str, task_id: str, summary: str | None) -> Note:
        task = self._open(ns, task_id)
        if summary is not None:
            summary = validate.text(summary, "summary", self.settings.max_content_chars)
        if task.active is not None:
            self.close_subgoal(ns, task_id, None)
            task = self.task(ns, task_id)
        steps = [e for e in self._steps(ns, task) if e.metadata.get("step") == "summary"]
        if summary is None:
            done = [g.title for g in task.subgoals]
            summary = f"{task.title.rstrip('.')}." + (
                " Subgoals: " + "; ".join(done) + "." if done else ""
            )
        steps.append(self._said(ns, task, summary, None))
        note = self._summary_note(ns, task.title, summary, steps)
        self.store.tasks.close("tasks", task.id, note.id, note.created_at)
        return note

    def task(self, ns: str, task_id: str) -> Task:
        key = validate.label(task_id, "task_id")
        found = None if key is None else self.store.tasks.get(ns, key)
        if found is None:
            raise NotFound("task", str(task_id), ns)
        return found

    def tasks(self, ns: str, open_only: bool, limit: int) -> list[Task]:
        return self.store.tasks.list(ns, open_only, validate.limit(limit, self.settings.max_limit))

    def working_context(self, ns: str, task_id: str, token_budget: int) -> str:
        budget = validate.limit(token_budget, 200_000, "token_budget")
        task = self.task(ns, task_id)
        note_ids = [g.note_id for g in task.subgoals if g.note_id is not None]
        notes = self.store.structure.notes(ns, limit=len(note_ids), ids=note_ids)
        return render(task, self._steps(ns, task), {n.id: n.text for n in notes}, budget)

    def _open(self, ns: str, task_id: str) -> Task:
        task = self.task(ns, task_id)
        if task.closed_at is not None:
            raise InvalidInput("the task is closed", field="task_id")
        return task

    def _said(self, ns: str, task: Task, summary: str, subgoal_id: str | None) -> Episode:
        """A closing summary is kept as an episode too: it is what the note rests on."""
        metadata = {"task_id": task.id, "step": "summary"}
        if subgoal_id is not None:
            metadata["subgoal_id"] = subgoal_id
        return self.record(ns, summary, task.id, metadata)

    def _steps(self, ns: str, task: Task) -> list[Episode]:
        return self.store.episodes.session(ns, task.id, MAX_STEPS)

    def _summary_note(self, ns: str, title: str, text: str, steps: list[Episode]) -> Note:
        at = utcnow()
        note = Note(
            id=uuid.uuid4().hex,
            namespace=ns,
            kind="event",
            text=text,
            keywords=tuple(dict.fromkeys(analyzer.terms(text)))[:12],
            speaker=None,
            occurred_at=steps[-1].occurred_at if steps else at,
            created_at=at,
            episode_ids=tuple(e.id for e in steps),
        )
        changes = ChangeSet(notes=[(note, note_key(text))])
        changes.sources += [("note", note.id, e.id) for e in steps]
        changes.history.append(("note", note.id, "summarise", f"closed: {title}", note.episode_ids))
        self.store.structure.apply(ns, changes, "working-memory", at)
        self.store.dynamics.put_strengths(
            ns, [initial(note, "short")], [("promote", "working → short")]
        )
        return note


def _title(value: str) -> str:
    return validate.text(value, "title", MAX_TITLE_CHARS)
