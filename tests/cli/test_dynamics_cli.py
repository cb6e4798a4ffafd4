"""The dynamics commands: consolidate, jobs, forget, profile, summaries, policy, task."""

from __future__ import annotations

import json

from tests.cli.test_cli import Cli, cli  # noqa: F401  (the fixture)


def test_consolidate_then_profile_summaries_and_jobs(cli: Cli) -> None:  # noqa: F811
    cli("add", "I live in Paris", "--speaker", "Ana", "--occurred-at", "2023-05-08T10:00:00Z")
    cli("add", "I moved to Lyon", "--speaker", "Ana", "--occurred-at", "2023-09-01T10:00:00Z")
    job = json.loads(cli("consolidate", "--json"))
    assert job["state"] == "done" and job["result"]["profile_lines"] >= 1
    profile = cli("profile")
    assert (
        "Ana lives in Lyon" in profile
        and "before: Ana lives in Paris (until 2023-09-01)" in profile
    )
    (event, *_) = json.loads(cli("summaries", "--level", "event", "--json"))
    assert event["child_kind"] == "episode"
    hits = json.loads(cli("search", "Lyon", "--within", event["id"], "--json"))
    assert {h["id"] for h in hits} <= set(event["children"])
    assert "consolidate default: done" in cli("jobs")
    assert "must be event, topic or profile" in cli("summaries", "--level", "book", code=2)


def test_forget_dry_run_then_for_real_then_unarchive(cli: Cli) -> None:  # noqa: F811
    cli("add", "I really enjoy jazz concerts on Fridays.", "--speaker", "Ana")
    later = "2030-01-01T00:00:00Z"
    listed = json.loads(cli("forget", "--dry-run", "--now", later, "--json"))
    assert listed and all("retention" in f["reason"] for f in listed)
    assert json.loads(cli("notes", "--json"))
    assert cli("forget", "--now", later).startswith("archived 1")
    assert json.loads(cli("notes", "--json")) == []
    (note,) = json.loads(cli("notes", "--archived", "--json"))
    assert "restored note" in cli("unarchive", note["id"])
    assert "pinned" in cli("pin", note["id"])
    assert cli("forget", "--now", later).startswith("archived 0")
    assert "threshold" in cli("forget", "--threshold", "2", code=2)


def test_policy_and_jobs_run(cli: Cli) -> None:  # noqa: F811
    cli("add", "I live in Paris", "--speaker", "Ana")
    policy = json.loads(cli("policy", "--consolidate-every", "3600", "--json"))
    assert policy["consolidate_every_s"] == 3600 and policy["forget_every_s"] is None
    assert "consolidate default: done" in cli("jobs", "--run")
    assert json.loads(cli("policy", "--show", "--json"))["last_consolidate_at"]
    assert "at least 60 seconds" in cli("policy", "--forget-every", "5", code=2)


def test_a_task_from_the_command_line(cli: Cli) -> None:  # noqa: F811
    task = json.loads(cli("task", "open", "ship the release", "--json"))
    cli("task", "subgoal", task["id"], "run the tests")
    cli("task", "step", task["id"], "pytest -q")
    cli("task", "step", task["id"], "all passed", "--kind", "observation")
    context = cli("task", "context", task["id"])
    assert "Now: run the tests" in context and "[observation] all passed" in context
    assert "run the tests" in cli("task", "close-subgoal", task["id"])
    assert "(closed)" not in cli("task", "show", task["id"])
    cli("task", "close", task["id"], "--summary", "Released 1.0.")
    assert "(closed)" in cli("task", "show", task["id"])
    assert "must be one of" in cli("task", "step", task["id"], "x", "--kind", "dream", code=2)
    assert "not found" in cli("task", "show", "nope", code=3).lower()


def test_keys_are_created_listed_and_revoked_from_the_command_line(cli: Cli) -> None:  # noqa: F811
    made = json.loads(cli("keys", "create", "ci", "--namespace", "ana", "--rate", "60", "--json"))
    assert made["token"].startswith(f"msk_{made['key']['id']}_")
    listed = cli("keys", "list")
    assert made["key"]["id"] in listed and made["token"] not in listed and "live" in listed
    assert "revoked" in cli("keys", "revoke", made["key"]["id"])
    assert "revoked" in cli("keys", "list")
    assert "not found" in cli("keys", "revoke", made["key"]["id"], code=3).lower()
    assert "namespace" in cli("keys", "create", "x", "--namespace", "bad name!", code=2)
