"""The questions `memstrata bench qa` asks, and the histories the reader gets
other than memstrata's own block: a baseline's top turns within a budget, and
the whole history cut to the reader's window, newest kept.

Both benchmarks go into one store, in the default configuration: a namespace
per LoCoMo conversation and per LongMemEval question. Histories are laid out
as each benchmark's own scripts lay them out: LongMemEval's sessions
(``### Session n`` with its date, then ``role: content``), LoCoMo's
(``DATE: …`` then ``CONVERSATION:`` and ``speaker said, "…"``), sessions in
time order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from memstrata.bench.baselines import Bm25sBaseline, DenseBaseline, rrf_baseline
from memstrata.bench.locomo import asked_at, turn_messages
from memstrata.bench.locomo_data import load_locomo
from memstrata.bench.longmemeval import deal, haystack, session_messages
from memstrata.bench.longmemeval_data import Question, load_questions, load_sessions
from memstrata.bench.qa_prompts import LOCOMO_CATEGORIES
from memstrata.memory import Memory
from memstrata.messages import index_text
from memstrata.providers.embed.base import embed_normalised
from memstrata.retrieve.tokens import TokenCounter

LOCOMO = "LoCoMo"
LONGMEMEVAL = "LongMemEval-dev"
DEPTH = 100  # baseline turns ranked per question


@dataclass(frozen=True, slots=True)
class Turn:
    position: int  # in the history
    speaker: str
    text: str
    at: datetime
    session: str  # groups turns under one head; never shown


@dataclass(frozen=True)
class History:
    """A namespace's turns in order, and the two names its reader prompt gives."""

    namespace: str
    turns: tuple[Turn, ...]
    speakers: tuple[str, str]


def rrf_ranker(memory: Memory, history: History) -> Callable[[str], list[int]]:
    """Ranks a history's turns (positions, best first) for a question: equal-weight
    RRF of bm25s and exact dense search with the store's embedder."""
    texts = [index_text(t.speaker, t.text) for t in history.turns]
    bm25 = Bm25sBaseline(texts)
    dense = DenseBaseline(embed_normalised(memory.embedder, texts))

    def rank(query: str) -> list[int]:
        vector = embed_normalised(memory.embedder, [query], query=True)[0]
        return rrf_baseline(bm25.rank(query, DEPTH), dense.rank(vector, DEPTH), DEPTH)

    return rank


@dataclass(frozen=True)
class Case:
    benchmark: str
    qid: str
    kind: str  # LongMemEval's question type ("abstention" for _abs), LoCoMo's category
    question: str
    answer: str
    now: datetime
    history: History


def locomo_cases(memory: Memory, path: Path, count: int | None) -> list[Case]:
    """Categories 1-4, dealt by category, each category's questions taken in turn
    from the conversations; only the conversations asked about are stored."""
    conversations = load_locomo(path)
    order: list[tuple[int, int, Case]] = []
    histories: dict[str, History] = {}
    for c, conv in enumerate(conversations):
        speakers = list(dict.fromkeys(t.speaker for t in conv.turns))[:2]
        turns = tuple(
            Turn(n, t.speaker, t.text, t.occurred_at, f"session_{t.session}")
            for n, t in enumerate(conv.turns)
        )
        history = History(conv.sample_id, turns, (speakers[0], speakers[-1]))
        histories[conv.sample_id] = history
        seen: dict[int, int] = {}
        for n, q in enumerate(conv.questions):
            if q.category not in LOCOMO_CATEGORIES:
                continue
            rank = seen[q.category] = seen.get(q.category, -1) + 1
            kind = LOCOMO_CATEGORIES[q.category]
            case = Case(LOCOMO, f"{conv.sample_id}:{n}", kind, q.text, q.answer, asked_at(conv),
                        history)  # fmt: skip
            order.append((rank, c, case))
    cases = deal([case for _, _, case in sorted(order, key=lambda o: o[:2])], _kind, count)
    for conv in conversations:
        if any(case.history.namespace == conv.sample_id for case in cases):
            memory.add(turn_messages(conv), namespace=conv.sample_id)
    return cases


def longmemeval_cases(memory: Memory, folder: Path, count: int | None) -> list[Case]:
    """Every type, abstention questions (``_abs``) as a type of their own, dealt
    by type; each question's haystack in a namespace of its own."""
    questions = deal(load_questions(folder), _question_kind, count)
    sessions = load_sessions(folder, {s for q in questions for s, _ in q.haystack})
    cases = []
    with memory.bulk():
        for i, q in enumerate(questions):
            h = haystack(i, q, sessions)
            for batch in session_messages(h, sessions):
                memory.add(batch, namespace=h.namespace)
            when = dict(q.haystack)
            turns = tuple(
                Turn(n, role, text, when[h.session_of(key)], h.session_of(key))
                for n, (key, role, text) in enumerate(zip(h.keys, h.roles, h.texts, strict=True))
            )
            history = History(h.namespace, turns, ("user", "assistant"))
            kind = _question_kind(q)
            case = Case(LONGMEMEVAL, q.question_id, kind, q.question, q.answer, q.asked_at,
                        history)  # fmt: skip
            cases.append(case)
    return cases


def _kind(case: Case) -> str:
    return case.kind


def _question_kind(q: Question) -> str:
    return "abstention" if q.is_abstention else q.question_type


def lme_date(at: datetime) -> str:
    """LongMemEval's own date format: 2023/05/30 (Tue) 23:42."""
    return f"{at:%Y/%m/%d (%a) %H:%M}"


def locomo_date(at: datetime) -> str:
    """LoCoMo's own date format: 1:56 pm on 8 May, 2023."""
    hour = at.hour % 12 or 12
    return f"{hour}:{at:%M} {'am' if at.hour < 12 else 'pm'} on {at.day} {at:%B, %Y}"


def layout(benchmark: str, turns: Sequence[Turn]) -> str:
    """Turns as the benchmark's scripts lay out a history, in time order."""
    ordered = sorted(turns, key=lambda t: (t.at, t.position))
    sessions: list[list[Turn]] = []
    for turn in ordered:
        if sessions and sessions[-1][0].session == turn.session:
            sessions[-1].append(turn)
        else:
            sessions.append([turn])
    parts = []
    for n, group in enumerate(sessions, 1):
        if benchmark == LONGMEMEVAL:
            body = "".join(f"\n\n{t.speaker}: {t.text.strip()}" for t in group)
            parts.append(
                f"\n### Session {n}:\nSession Date: {lme_date(group[0].at)}\n"
                f"Session Content:\n{body}\n"
            )
        else:
            lines = "".join(f'{t.speaker} said, "{t.text.strip()}"\n' for t in group)
            parts.append(f"DATE: {locomo_date(group[0].at)}\nCONVERSATION:\n{lines}\n")
    return "".join(parts).strip("\n")


def top_turns(
    benchmark: str, turns: Sequence[Turn], ranked: Sequence[int], budget: int, tokens: TokenCounter
) -> tuple[str, int]:
    """The ranked turns, whole, best first, each kept while the laid-out history
    stays within ``budget`` (a turn too long to fit is passed over): the text,
    and how many turns it holds."""
    kept: list[Turn] = []
    for i in ranked:
        trial = [*kept, turns[i]]
        if tokens.count(layout(benchmark, trial)) <= budget:
            kept = trial
    return layout(benchmark, kept), len(kept)


def newest(
    benchmark: str, turns: Sequence[Turn], budget: int, tokens: TokenCounter
) -> tuple[str, int]:
    """The longest run of newest turns whose layout fits in ``budget``."""
    low, high = 0, len(turns)  # low always fits
    while low < high:
        middle = (low + high + 1) // 2
        if tokens.count(layout(benchmark, turns[-middle:])) <= budget:
            low = middle
        else:
            high = middle - 1
    return layout(benchmark, turns[len(turns) - low :]), low


def iter_all(
    memory: Memory, locomo: Path | None, longmemeval: Path | None, count: int | None
) -> Iterator[Case]:
    """The cases of the benchmarks given, LoCoMo's first."""
    if locomo is not None:
        yield from locomo_cases(memory, locomo, count)
    if longmemeval is not None:
        yield from longmemeval_cases(memory, longmemeval, count)
