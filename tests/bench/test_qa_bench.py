"""`bench qa` against a real local HTTP server that plays reader and judge: the
prompts each benchmark's papers give, right, wrong and abstaining answers, an
off-format judge, 429s and timeouts, and a rerun that the cache answers."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from memstrata.bench.qa import Endpoint, QaOptions, run_qa
from memstrata.bench.qa_cases import LONGMEMEVAL, Turn, layout, newest, top_turns
from memstrata.bench.qa_prompts import ASK_AGAIN, token_f1, verdict
from memstrata.bench.qa_report import interval
from memstrata.cli.main import main
from memstrata.retrieve.tokens import counter
from tests.bench.longmemeval_folder import TOPICS, write_folder
from tests.bench.test_locomo_bench import tiny_locomo
from tests.replay_server import Answer, ReplayServer

# question -> (words only its evidence holds, the answer given when they are shown)
KNOWN = {
    "What is the name of Ana's puppy?": ("named Biscuit", "Biscuit"),
    "What did Bo make in pottery class?": ("pottery classes", "a bowl"),
    "When did the puppy chew the shoes?": ("running shoes", "June 2023"),
} | {f"What did I ask about {t}?": (f"advice on {t}", t) for t in TOPICS}
JUDGE_FIELDS = re.compile(
    r"Question: (.*?)\n\n(?:Correct Answer|Rubric|Explanation): (.*?)\n\nModel Response: (.*?)\n\n",
    re.S,
)


def completion(text: str, finish: str = "stop") -> str:
    return json.dumps(
        {
            "choices": [{"message": {"role": "assistant", "content": text},
                         "finish_reason": finish}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 2},
        }
    )  # fmt: skip


def play(body: dict[str, Any]) -> Answer:
    """A reader that answers when the evidence is in its prompt and says it does
    not know otherwise; a judge that checks the answer holds the gold one."""
    prompt = body["messages"][0]["content"]
    fields = JUDGE_FIELDS.search(prompt)
    if fields is not None:
        _, gold, response = fields.groups()
        if "unanswerable" in prompt:
            return 200, completion("Yes" if "don't know" in response else "No")
        return 200, completion("Yes." if gold.lower() in response.lower() else "No.")
    for question, (evidence, answer) in KNOWN.items():
        if question in prompt:
            return 200, completion(answer if evidence in prompt else "I don't know.")
    return 200, completion("I don't know.")


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    with ReplayServer(fallback=play).running() as running:
        yield running


@pytest.fixture
def data(tmp_path: Path) -> tuple[Path, Path]:
    lme = tmp_path / "lme"
    write_folder(lme, questions=2, sessions=3, abstention=True)
    return tiny_locomo(tmp_path / "locomo.json"), lme


def options(server: ReplayServer, cache: Path, **changes: Any) -> QaOptions:
    endpoint = Endpoint(server.url, "replayed-reader")
    return replace(QaOptions(endpoint, endpoint, cache, budgets=(500,), window=2048), **changes)


def quiet() -> Console:
    return Console(quiet=True)


def test_answers_with_the_evidence_are_right_and_abstaining_is_right_only_when_unanswerable(
    tmp_path: Path, server: ReplayServer, data: tuple[Path, Path]
) -> None:
    locomo, lme = data
    result = run_qa(locomo, lme, tmp_path / "out", options(server, tmp_path / "cache"), quiet())
    table = result["summary"]["accuracy"]
    lo, lm = table["LoCoMo"], table[LONGMEMEVAL]
    assert set(lo) == set(lm) == {"memstrata 500", "rrf 500", "full history", "no context"}
    # LoCoMo: three scored questions a conversation; category 5 is left out
    assert lo["memstrata 500"]["all"]["n"] == 6 and "adversarial" not in lo["memstrata 500"]
    for ctx in ("memstrata 500", "rrf 500", "full history"):
        assert lo[ctx]["all"]["accuracy"] == 100.0
    assert lo["no context"]["all"]["accuracy"] == 0.0
    # LongMemEval: two answerable questions and one abstention question
    assert lm["memstrata 500"]["all"]["n"] == 3
    assert lm["memstrata 500"]["multi-session"]["accuracy"] == 100.0
    assert lm["no context"]["abstention"]["accuracy"] == 100.0  # "I don't know" is right
    assert lm["no context"]["single-session-user"]["accuracy"] == 0.0
    row = next(r for r in result["records"] if r["context"] == "memstrata 500")
    assert 0 < row["history_tokens"] <= 500 and row["prompt_tokens"] > row["history_tokens"]
    assert row["f1"] == 1.0 and row["verdict"] == "yes" and row["judge"] == ["Yes."]
    out = tmp_path / "out"
    assert "accuracy [95 % CI]" in (out / "qa.md").read_text()
    assert json.loads((out / "qa.json").read_text())["summary"] == json.loads(
        json.dumps(result["summary"])
    )


def test_each_benchmark_gets_its_own_reader_and_judge_prompts(
    tmp_path: Path, server: ReplayServer, data: tuple[Path, Path]
) -> None:
    locomo, lme = data
    run_qa(locomo, lme, tmp_path / "out", options(server, tmp_path / "cache"), quiet())
    prompts = [r["body"]["messages"][0]["content"] for r in server.requests]
    assert all(r["body"]["temperature"] == 0 for r in server.requests)
    lme_reader = [p for p in prompts if p.startswith("I will give you several history chats")]
    assert lme_reader and all("Current Date: 2023/06/01 (Thu) 10:00\nQuestion: " in p
                              for p in lme_reader)  # fmt: skip
    assert any("### Session 1:\nSession Date: 2023/05/01 (Mon) 09:00" in p for p in lme_reader)
    assert "What did I ask about hiking boots?" in prompts  # no context: the question alone
    locomo_reader = [p for p in prompts if p.startswith("Below is a conversation between two")]
    assert all(p.startswith("Below is a conversation between two people: Ana and Bo.")
               for p in locomo_reader)  # fmt: skip
    assert any("DATE: 1:56 pm on 8 May, 2023\nCONVERSATION:\nAna said, " in p
               for p in locomo_reader)  # fmt: skip
    temporal = [p for p in locomo_reader if "chew the shoes?" in p]
    assert temporal and all("Use DATE of CONVERSATION to answer with an approximate date." in p
                            for p in temporal)  # fmt: skip
    assert not any("What did Ana win?" in p for p in prompts)  # category 5 left out
    assert any("correctly identifies the question as unanswerable" in p for p in prompts)
    assert any("do not penalize off-by-one errors" in p for p in prompts)  # temporal judge
    judge = next(r["body"] for r in server.requests if "Is the model response" in str(r["body"]))
    assert judge["max_tokens"] == 10


def test_a_rerun_is_answered_from_the_cache(
    tmp_path: Path, server: ReplayServer, data: tuple[Path, Path]
) -> None:
    locomo, _ = data
    first = run_qa(locomo, None, tmp_path / "a", options(server, tmp_path / "cache"), quiet())
    sent = len(server.requests)
    again = run_qa(locomo, None, tmp_path / "b", options(server, tmp_path / "cache"), quiet())
    assert len(server.requests) == sent
    assert again["summary"] == first["summary"]
    assert again["calls"]["reader"]["sent"] == 0 and again["calls"]["reader"]["cached"] > 0
    seconds = [r["reader_seconds"] for r in again["records"]]
    assert all(s > 0 for s in seconds)  # how long it took comes back from the cache


def test_a_cut_answer_is_final_and_cached(tmp_path: Path, server: ReplayServer) -> None:
    locomo = tiny_locomo(tmp_path / "locomo.json")
    server.script.append((200, completion("Biscuit and then some more", finish="length")))
    chosen = options(server, tmp_path / "cache", contexts=("none",), answer_tokens=4)
    first = run_qa(locomo, None, tmp_path / "a", chosen, quiet())
    assert first["records"][0]["finish"] == "length"
    # the second conversation asks the same: its answer is the cached cut one
    assert first["summary"]["accuracy"]["LoCoMo"]["no context"]["all"]["cut"] == 2
    sent = len(server.requests)
    run_qa(locomo, None, tmp_path / "b", chosen, quiet())
    assert len(server.requests) == sent


def test_an_off_format_judge_is_asked_once_more_then_counted(
    tmp_path: Path, server: ReplayServer
) -> None:
    locomo = tiny_locomo(tmp_path / "locomo.json")
    chosen = options(server, tmp_path / "cache", contexts=("memstrata",))
    server.script.extend(
        [
            (200, completion("Biscuit")),
            (200, completion("The response matches the reference")),
            (200, completion("yes")),
            (200, completion("a bowl")),
            (200, completion("It depends")),
            (200, completion("Hard to say")),
        ]
    )
    result = run_qa(locomo, None, tmp_path / "out", chosen, quiet())
    first, second = result["records"][:2]
    assert first["verdict"] == "yes" and first["correct"]
    assert first["judge"] == ["The response matches the reference", "yes"]
    again = server.requests[2]["body"]["messages"]
    assert [m["role"] for m in again] == ["user", "assistant", "user"]
    assert again[-1]["content"] == ASK_AGAIN
    assert second["verdict"] == "off-format" and not second["correct"]
    cell = result["summary"]["accuracy"]["LoCoMo"]["memstrata 500"]["all"]
    # the other conversation asks the same question: its verdict replays from the cache
    assert cell["off_format"] == sum(r["verdict"] == "off-format" for r in result["records"]) == 2


def test_429_is_retried_and_a_call_that_times_out_is_an_error_the_next_run_asks_again(
    tmp_path: Path, server: ReplayServer
) -> None:
    locomo = tiny_locomo(tmp_path / "locomo.json")
    chosen = options(server, tmp_path / "cache", contexts=("none",), timeout_s=0.3)
    server.script.append((429, '{"error": "slow down"}'))  # the first question's first try
    first = run_qa(locomo, None, tmp_path / "a", chosen, quiet())
    assert not any("error" in r for r in first["records"])
    assert server.requests[0]["body"] == server.requests[1]["body"]  # asked again

    fresh = options(server, tmp_path / "fresh", contexts=("none",), timeout_s=0.3)
    server.script.extend([(200, completion("late"), 1.0)] * 3)  # every try of one call
    broken = run_qa(locomo, None, tmp_path / "b", fresh, quiet())
    errors = [r for r in broken["records"] if "error" in r]
    assert len(errors) == 1 and "unreachable" in errors[0]["error"]
    cell = broken["summary"]["accuracy"]["LoCoMo"]["no context"]["all"]
    assert (cell["errors"], cell["n"]) == (1, len(broken["records"]) - 1)
    healed = run_qa(locomo, None, tmp_path / "c", fresh, quiet())
    assert not any("error" in r for r in healed["records"])


def test_verdicts_are_read_from_the_first_word_or_the_only_one_said() -> None:
    assert verdict("Yes.") == verdict("yes, it is") == verdict("The answer: yes") == "yes"
    assert verdict("No") == verdict("**No**") == "no"
    assert verdict("Maybe yes, maybe no") == verdict("") == verdict("Correct") == "off-format"


def test_token_f1_normalises_case_punctuation_and_articles() -> None:
    assert token_f1("The Biscuit!", "biscuit") == 1.0
    assert token_f1("a bowl of clay", "bowl") == pytest.approx(0.5)  # P 1/3, R 1
    assert token_f1("", "x") == 0.0 and token_f1("", "") == 1.0


def test_the_interval_holds_the_mean_and_narrows_with_more_questions() -> None:
    few = interval([1.0, 0.0, 1.0, 0.0])
    many = interval([1.0, 0.0] * 200)
    assert few[0] <= 50.0 <= few[1] and many[0] <= 50.0 <= many[1]
    assert many[1] - many[0] < few[1] - few[0]
    assert interval([1.0, 1.0]) == (100.0, 100.0)


def _turns() -> list[Turn]:
    start = datetime(2023, 5, 1, 9, tzinfo=UTC)
    words = {1: 40}
    return [
        Turn(i, ("user", "assistant")[i % 2], f"turn {i} " + "word " * words.get(i, 3),
             start + timedelta(days=i // 2), f"s{i // 2}")
        for i in range(6)
    ]  # fmt: skip


def test_top_turns_keep_whole_turns_in_time_order_and_pass_over_one_too_long() -> None:
    tokens = counter("cl100k")
    turns = _turns()
    text, kept = top_turns(LONGMEMEVAL, turns, [4, 1, 0], 80, tokens)
    assert kept == 2 and tokens.count(text) <= 80
    assert text.index("turn 0") < text.index("turn 4") and "turn 1" not in text
    assert text.startswith("### Session 1:\nSession Date: 2023/05/01 (Mon) 09:00")


def test_the_full_history_keeps_the_newest_turns_that_fit() -> None:
    tokens = counter("cl100k")
    turns = _turns()
    text, kept = newest("LoCoMo", turns, 60, tokens)
    assert kept >= 2 and tokens.count(text) <= 60 < tokens.count(layout("LoCoMo", turns))
    assert "turn 5" in text and "turn 0" not in text
    assert text.startswith("DATE: ") and 'said, "turn' in text
    whole, everything = newest("LoCoMo", turns, 10_000, tokens)
    assert everything == len(turns) and whole == layout("LoCoMo", turns)


def _cli(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["memstrata", "bench", "qa", *args])
    with pytest.raises(SystemExit) as info:
        main()
    return int(info.value.code or 0)


def test_the_command_runs_and_refuses_bad_choices(
    tmp_path: Path,
    server: ReplayServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    locomo = tiny_locomo(tmp_path / "locomo.json")
    common = ["--reader-url", server.url, "--reader-model", "m", "--locomo", str(locomo),
              "--benchmarks", "locomo", "--out", str(tmp_path / "out"),
              "--cache", str(tmp_path / "cache")]  # fmt: skip
    assert _cli(monkeypatch, *common, "--contexts", "none,full", "--name", "small") == 0
    assert "full history" in (tmp_path / "out" / "small.md").read_text()
    capsys.readouterr()
    assert _cli(monkeypatch, *common, "--budgets", "500,0") == 2
    assert "--budgets" in capsys.readouterr().err
    assert _cli(monkeypatch, *common, "--contexts", "memstrata,everything") == 2
    assert "choose among memstrata, rrf, full, none" in capsys.readouterr().err
