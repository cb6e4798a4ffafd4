"""`memstrata bench qa`: answer accuracy, end to end: a reader LLM answers each
question from a context, a judge LLM says whether the answer is right.

The questions are LoCoMo's categories 1-4 and LongMemEval-dev's (abstention
questions included, judged by their own prompt), a stratified subset of each
when ``--questions`` says how many (``qa_cases``). Each question is answered,
by the same reader, from each context:

- ``memstrata N``: the block ``context()`` builds within N tokens;
- ``rrf N``: the RRF baseline's top turns (bm25s + exact dense search with the
  same embedder), whole, best first, while the laid-out history fits in N
  tokens;
- ``full history``: the whole history cut to the reader's window (``--window``
  less the prompt and the answer), newest turns kept;
- ``no context``: the question alone.

Prompts and their sources are in ``qa_prompts``. Both models are reached
through any OpenAI-compatible endpoint, at temperature 0; the judge is the
reader unless told otherwise. Every call is cached on disk by the hash of its
request, with the time it took, so a rerun costs nothing and a killed run
resumes where it stopped. A call that still fails after the client's retries
(429, 5xx, timeouts) is recorded as an error, left out of the accuracy and
counted, and is asked again by the next run.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from memstrata.bench.qa_cases import (
    LONGMEMEVAL,
    Case,
    iter_all,
    lme_date,
    newest,
    rrf_ranker,
    top_turns,
)
from memstrata.bench.qa_prompts import (
    ASK_AGAIN,
    judge_prompt,
    lme_reader,
    locomo_reader,
    token_f1,
    verdict,
)
from memstrata.bench.qa_report import render, summarise, write_plot
from memstrata.bench.report import write_results
from memstrata.config import Settings
from memstrata.errors import BadProviderOutput, ProviderUnavailable
from memstrata.memory import Memory
from memstrata.providers.llm.chat import ChatClient
from memstrata.retrieve.tokens import TokenCounter, counter

CONTEXTS = ("memstrata", "rrf", "full", "none")
BUDGETS = (500, 1000, 2000)
TEMPLATE_MARGIN = 48  # tokens the chat template wraps a message in, and some slack
QUESTION_ROOM = 100  # tokens the full history leaves for the question, whatever it is
JUDGE_TOKENS = 10


@dataclass(frozen=True)
class Endpoint:
    url: str
    model: str
    api_key: str | None = None


@dataclass(frozen=True)
class QaOptions:
    reader: Endpoint
    judge: Endpoint
    cache: Path
    budgets: tuple[int, ...] = BUDGETS
    contexts: tuple[str, ...] = CONTEXTS
    window: int = 4096  # the reader's context window, in its tokens
    answer_tokens: int = 128
    timeout_s: float = 300.0
    questions: int | None = None
    tokenizer: str | None = None


@dataclass(frozen=True)
class Shown:
    """One context a question is answered from."""

    label: str
    context: str
    budget: int | None
    history: str | None  # None: no context
    history_tokens: int


def chat_client(endpoint: Endpoint, timeout_s: float, cache: Path) -> ChatClient:
    settings = Settings.load(
        {},
        llm_url=endpoint.url,
        llm_model=endpoint.model,
        llm_api_key=endpoint.api_key,
        llm_timeout_s=timeout_s,
    )
    return ChatClient(settings, cache)


def reader_prompt(case: Case, history: str | None, *, bare: bool = False) -> str:
    """The reader's prompt for ``case`` (``bare``: without the question)."""
    question, kind = ("", "") if bare else (case.question, case.kind)
    if case.benchmark == LONGMEMEVAL:
        return lme_reader(history, lme_date(case.now), question)
    return locomo_reader(history, case.history.speakers, question, kind)


def contexts(
    memory: Memory,
    case: Case,
    options: QaOptions,
    tokens: TokenCounter,
    rank: Callable[[str], list[int]],
) -> list[Shown]:
    shown: list[Shown] = []
    turns = case.history.turns
    if "memstrata" in options.contexts:
        for budget in options.budgets:
            block = memory.context(
                case.question, namespace=case.history.namespace, token_budget=budget, now=case.now
            )
            label = f"memstrata {budget}"
            shown.append(Shown(label, "memstrata", budget, block.text, block.tokens))
    if "rrf" in options.contexts:
        ranked = rank(case.question)
        for budget in options.budgets:
            text, _ = top_turns(case.benchmark, turns, ranked, budget, tokens)
            shown.append(Shown(f"rrf {budget}", "rrf", budget, text, tokens.count(text)))
    if "full" in options.contexts:
        # the same history for every question of a conversation: an endpoint that
        # caches prompt prefixes reads it once
        room = options.window - tokens.count(reader_prompt(case, "", bare=True))
        room -= QUESTION_ROOM + options.answer_tokens + TEMPLATE_MARGIN
        text, _ = newest(case.benchmark, turns, max(room, 0), tokens)
        shown.append(Shown("full history", "full", None, text, tokens.count(text)))
    if "none" in options.contexts:
        shown.append(Shown("no context", "none", None, None, 0))
    return shown


class Asker:
    """The reader's and the judge's calls for one run."""

    def __init__(self, options: QaOptions, tokens: TokenCounter) -> None:
        self.options = options
        self.tokens = tokens
        self.reader = chat_client(options.reader, options.timeout_s, options.cache)
        self.judge = (
            self.reader
            if options.judge == options.reader
            else chat_client(options.judge, options.timeout_s, options.cache)
        )

    def answer(self, case: Case, shown: Shown) -> dict[str, Any]:
        prompt = reader_prompt(case, shown.history)
        row: dict[str, Any] = {
            "benchmark": case.benchmark,
            "qid": case.qid,
            "kind": case.kind,
            "context": shown.label,
            "system": shown.context,
            "budget": shown.budget,
            "history_tokens": shown.history_tokens,
            "prompt_tokens": self.tokens.count(prompt),
        }
        try:
            reply = self.reader.complete(
                [{"role": "user", "content": prompt}],
                max_tokens=self.options.answer_tokens,
                keep_cut=True,
            )
            row |= {
                "answer": reply.text,
                "finish": reply.finish_reason,
                "reader_seconds": reply.seconds,
                "cached": reply.cached,
            }
            said, judged = self._judge(case, reply.text)
        except (ProviderUnavailable, BadProviderOutput) as exc:
            return row | {"error": str(exc)}
        return row | {
            "verdict": said,
            "judge": judged,
            "correct": said == "yes",
            "f1": token_f1(reply.text, case.answer),
        }

    def _judge(self, case: Case, response: str) -> tuple[str, list[str]]:
        """The verdict, and what the judge said (asked once more when off-format)."""
        asked = judge_prompt(case.kind, case.question, case.answer, response)
        messages = [{"role": "user", "content": asked}]
        said: list[str] = []
        for _ in range(2):
            reply = self.judge.complete(messages, max_tokens=JUDGE_TOKENS, keep_cut=True)
            said.append(reply.text)
            found = verdict(reply.text)
            if found != "off-format":
                return found, said
            messages += [
                {"role": "assistant", "content": reply.text},
                {"role": "user", "content": ASK_AGAIN},
            ]
        return "off-format", said


def run_qa(
    locomo: Path | None,
    longmemeval: Path | None,
    out_dir: Path,
    options: QaOptions,
    console: Console,
    name: str = "qa",
) -> dict[str, Any]:
    """Answer, judge and summarise; results go to ``out_dir/name.{json,md,png}``."""
    tokens = counter(options.tokenizer)
    asker = Asker(options, tokens)
    records: list[dict[str, Any]] = []
    settings = Settings.load(tokenizer=options.tokenizer)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, Memory(Path(tmp) / "qa.db", settings=settings) as m:
        rankers: dict[str, Callable[[str], list[int]]] = {}
        for n, case in enumerate(iter_all(m, locomo, longmemeval, options.questions), 1):
            namespace = case.history.namespace
            if namespace not in rankers:
                rankers[namespace] = rrf_ranker(m, case.history)
            for shown in contexts(m, case, options, tokens, rankers[namespace]):
                records.append(asker.answer(case, shown) | {"question": case.question,
                                                            "gold": case.answer})  # fmt: skip
            console.print(_progress(n, case, records, time.perf_counter() - started))
        embedder = m.embedder.name
    result = {
        "reader": options.reader.model,
        "judge": options.judge.model,
        "embedder": embedder,
        "tokenizer": tokens.name,
        "window": options.window,
        "answer_tokens": options.answer_tokens,
        "budgets": list(options.budgets),
        "seconds": time.perf_counter() - started,
        "calls": {
            "reader": _usage(asker.reader),
            "judge": _usage(asker.judge) if asker.judge is not asker.reader else None,
        },
        "summary": summarise(records),
        "records": records,
    }
    markdown = render(result)
    write_results(out_dir, name, result, markdown)
    write_plot(out_dir / f"{name}.png", result)
    console.print(markdown)
    return result


def _usage(client: ChatClient) -> dict[str, int]:
    u = client.usage
    return {"sent": u.calls, "cached": u.cached, "prompt_tokens": u.prompt_tokens,
            "completion_tokens": u.completion_tokens}  # fmt: skip


def _progress(n: int, case: Case, records: Sequence[dict[str, Any]], seconds: float) -> str:
    mine = [r for r in records if r["qid"] == case.qid and r["benchmark"] == case.benchmark]
    marks = " ".join(
        f"{r['context']}={'E' if 'error' in r else '+' if r['correct'] else '-'}" for r in mine
    )
    return f"[{n}] {seconds:.0f} s {case.benchmark} {case.kind}: {marks}"
