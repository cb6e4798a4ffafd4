"""Working memory: tasks, subgoals, steps, and the bounded working context."""

from __future__ import annotations

from datetime import timedelta

import pytest

from memstrata import InvalidInput, Memory, NotFound
from memstrata.timeutil import now


def test_closing_a_subgoal_distils_its_steps_into_a_sourced_note(memory: Memory) -> None:
    task = memory.open_task("book a flight to Rome")
    task = memory.open_subgoal(task.id, "find flights")
    a = memory.step(task.id, "search flights CDG to FCO on May 3")
    o = memory.step(task.id, "AF1234 at 09:05 for 120 EUR", kind="observation")
    note = memory.close_subgoal(task.id)
    assert "search flights CDG to FCO" in note.text and "AF1234" in note.text
    assert set(note.episode_ids) == {a.id, o.id}
    assert memory.strength(note.id).layer == "short"
    (goal,) = memory.task(task.id).subgoals
    assert goal.closed_at is not None and goal.note_id == note.id and goal.steps == 2


def test_the_working_context_keeps_only_the_active_subgoal_in_detail(memory: Memory) -> None:
    task = memory.open_task("ship the release")
    memory.open_subgoal(task.id, "run the tests")
    memory.step(task.id, "pytest -q")
    memory.step(task.id, "all 300 passed", kind="observation")
    memory.open_subgoal(task.id, "tag the release")  # closes the first
    memory.step(task.id, "git tag v1.0")
    text = memory.working_context(task.id)
    assert "done: run the tests" in text and "all 300 passed" in text
    assert "[action] pytest -q" not in text  # closed detail is folded into its summary
    assert text.endswith("Now: tag the release\n  [action] git tag v1.0")


def test_the_working_context_stays_within_its_budget(memory: Memory) -> None:
    task = memory.open_task("crawl")
    memory.open_subgoal(task.id, "fetch pages")
    for i in range(60):
        memory.step(task.id, f"fetched page {i} " + "x" * 80, kind="observation")
    text = memory.working_context(task.id, token_budget=200)
    assert len(text) <= 200 * 4 + 100
    assert "fetched page 59" in text and "fetched page 0 " not in text
    assert "earlier steps left out" in text


def test_closing_the_task_and_what_a_closed_task_refuses(memory: Memory) -> None:
    task = memory.open_task("plan the trip")
    memory.open_subgoal(task.id, "pick dates")
    memory.step(task.id, "May 3 to May 10")
    note = memory.close_task(task.id, summary="Trip planned for May 3-10.")
    assert note.text == "Trip planned for May 3-10." and note.episode_ids
    assert memory.task(task.id).closed_at is not None
    assert memory.tasks() == [] and len(memory.tasks(open_only=False)) == 1
    with pytest.raises(InvalidInput):
        memory.step(task.id, "too late")
    with pytest.raises(InvalidInput):
        memory.close_subgoal(task.id)


def test_bad_input_and_other_namespaces(memory: Memory) -> None:
    task = memory.open_task("a task", namespace="agent-a")
    with pytest.raises(NotFound):
        memory.task(task.id, namespace="agent-b")
    with pytest.raises(InvalidInput):
        memory.step(task.id, "x", kind="dream", namespace="agent-a")
    with pytest.raises(InvalidInput):
        memory.open_task("")
    with pytest.raises(InvalidInput):
        memory.close_subgoal(task.id, namespace="agent-a")  # no open subgoal
    with pytest.raises(InvalidInput):
        memory.working_context(task.id, token_budget=0, namespace="agent-a")


def test_steps_are_searchable_episodes(memory: Memory) -> None:
    task = memory.open_task("debug the crash")
    memory.open_subgoal(task.id, "reproduce")
    step = memory.step(task.id, "segfault in libfoo when the cache is empty", kind="observation")
    (hit,) = memory.search("segfault libfoo", limit=1)
    assert hit.id == step.id and hit.session_id == task.id
    assert hit.metadata["step"] == "observation"


def test_notes_of_steps_are_working_memory_and_fade_within_hours(memory: Memory) -> None:
    task = memory.open_task("plan the move")
    memory.open_subgoal(task.id, "find a flat")
    memory.step(task.id, "Maya recommended a flat in Lyon near the Rhone.", kind="observation")
    step_notes = memory.notes()
    assert step_notes and all(memory.strength(n.id).layer == "working" for n in step_notes)
    summary = memory.close_subgoal(task.id)
    assert memory.strength(summary.id).layer == "short"
    tomorrow = now() + timedelta(days=1)
    gone = {f.record_id for f in memory.forget(now=tomorrow)}
    assert {n.id for n in step_notes} <= gone and summary.id not in gone
