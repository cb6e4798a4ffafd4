"""context(): recalled memory as a prompt-ready block, inside a token budget.

Index small, return large: each hit brings the turns around it in its session
(the question it answers, the reply it got), hits are taken best first until
the budget is spent, and what was chosen is laid out chronologically, grouped
by session and event under the session's date. Facts about the entities the
question names come first: the ones true now, then the ones superseded
(marked, with when they stopped holding). Every line carries a short label
(``[3]``) that the returned ``Context.refs`` maps to its episode or fact id.
The budget is counted in a reader's tokens (``retrieve.tokens``), the whole
block included, and the last hit that does not fit whole is cut to what is
left. The block is fenced and says that it is recalled data, not instructions.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from memstrata.extract.offline import CITING_ROLES
from memstrata.extract.timeexpr import dated
from memstrata.index import analyzer
from memstrata.index.namespace_index import NamespaceIndex
from memstrata.model import Context, Episode, Fact
from memstrata.resolve.entities import normalise
from memstrata.retrieve.block import (
    CUT,
    LABEL,
    Block,
    fact_line,
    frame,
    group,
    line,
    stamp,
)
from memstrata.retrieve.query import Query
from memstrata.retrieve.recall import Scored
from memstrata.retrieve.tokens import TokenCounter, fit
from memstrata.store.base import Store

FACT_SHARE = 0.25  # at most this share of the budget goes to facts
TURN_TOKENS = 200  # a longer turn is shown cut to its sentences that match the question
FILL_TOKENS = 12  # the least room worth cutting one more hit into
FILL_ROUNDS = 3  # times the exact count of the block may correct the room left
_PIECE = re.compile(r"(?<=[.!?])\s+|\n+")


def said(e: Episode) -> str:
    """A turn's words as a block shows them: in what someone tells (not in an
    assistant's reply, whose 'next week' is advice), each relative time ('last
    night', 'two weeks ago') with the date it meant when it was said, so that a
    reader need not count back from the line's date."""
    return e.content if e.role in CITING_ROLES else dated(e.content, e.occurred_at)


def excerpt(text: str, terms: set[str], tokens: TokenCounter, limit: int = TURN_TOKENS) -> str:
    """``text`` whole when it fits in ``limit`` tokens; else the sentences and
    lines that share the question's index ``terms`` (those sharing most first,
    the earlier on a tie), or with none sharing any, its opening; in their
    order, each cut marked. Never more than ``limit`` tokens."""
    if tokens.count(text) <= limit:
        return text
    room = limit - tokens.count(f" {CUT}") * 2
    pieces = [p.strip() for p in _PIECE.split(text) if p.strip()]
    shared = [len(terms & set(analyzer.terms(p))) for p in pieces]
    matching = any(shared)
    kept: list[int] = []
    spent = 0
    for i in sorted(range(len(pieces)), key=lambda i: (-shared[i], i)):
        if matching and not shared[i]:
            break
        size = tokens.count(pieces[i]) + 2  # a space and, maybe, a cut mark
        if spent + size <= room:
            kept.append(i)
            spent += size
    if not kept:  # no piece fits whole: the opening of the best one
        best = max(range(len(pieces)), key=lambda i: (shared[i], -i)) if matching else 0
        opening = fit(pieces[best] if pieces else text, room, tokens)
        return f"{CUT} {opening} {CUT}" if best else f"{opening} {CUT}"
    kept.sort()
    out = [CUT] if kept[0] > 0 else []
    for j, i in enumerate(kept):
        if j and i != kept[j - 1] + 1:
            out.append(CUT)
        out.append(pieces[i])
    if kept[-1] < len(pieces) - 1:
        out.append(CUT)
    return " ".join(out)


SHAPE_PREDICATES = {
    "where": ("lives_in", "works_at", "studies_at", "visited"),
    "who": ("has_", "met"),
}


def relevant(fact: Fact, terms: set[str], shape: str) -> bool:
    """Whether a fact about a named entity bears on the question."""
    if fact.predicate.startswith(SHAPE_PREDICATES.get(shape, ())):
        return True
    words = set(analyzer.terms(f"{fact.predicate.replace('_', ' ')} {fact.object}"))
    return bool(words & terms)


def facts_block(
    facts: Sequence[Fact], now: datetime, budget: int, tokens: TokenCounter
) -> list[Fact]:
    """Believed facts that fit in ``budget``, those true now first; retracted
    ones are left out."""
    believed = [f for f in facts if f.expired_at is None]
    ordered = sorted(believed, key=lambda f: (not f.is_valid_at(now), -f.valid_at.timestamp()))
    chosen: list[Fact] = []
    spent = tokens.count("## Facts") + 2 if ordered else 0
    for fact in ordered:
        cost = tokens.count(fact_line(LABEL[1:-1], fact, now)) + 1
        if spent + cost > budget:
            break
        chosen.append(fact)
        spent += cost
    return chosen


CONTEXT_HITS = 50  # hits context() considers, best first
WHOLE_EVENTS = 3  # events context() may complete with the budget left


@dataclass
class Packer:
    """Spends a budget on turns, costing each line and the session head it opens."""

    block: Block
    left: int
    groups: set[tuple[str, str]] = field(default_factory=set)
    taken: list[int] = field(default_factory=list)  # positions, in the order chosen
    costs: list[int] = field(default_factory=list)

    def cost(self, e: Episode, text: str) -> int:
        tokens = self.block.tokens
        cost = tokens.count(line(LABEL[1:-1], e, text, "")) + 1
        if group(e) not in self.groups:
            cost += tokens.count(f"## {stamp(e.occurred_at)}") + 2
        return cost

    def take(self, p: int, e: Episode, text: str) -> bool:
        """Adds the turn at position ``p`` shown as ``text`` if it fits."""
        cost = self.cost(e, text)
        if cost > self.left:
            return False
        self.left -= cost
        self.groups.add(group(e))
        self.block.turns.append(e)
        self.block.shown[e.id] = text
        self.block.position[e.id] = p
        self.taken.append(p)
        self.costs.append(cost)
        return True

    def drop_last(self) -> None:
        e = self.block.turns.pop()
        self.taken.pop()
        self.left += self.costs.pop()
        del self.block.shown[e.id]


def assemble(
    store: Store,
    ns: str,
    index: NamespaceIndex,
    question: Query,
    ranking: Sequence[Scored],
    mask: np.ndarray,
    budget: int,
    tokens: TokenCounter,
) -> Context:
    """The context block for ``question`` from its ranked hits: facts, hits with
    their neighbours, whole events, then the next hit cut to what is left; at
    most ``budget`` tokens as ``tokens`` counts them."""
    block = frame(question.text, question.now, tokens, budget)
    with index.lock:
        ranked = [r.position for r in ranking[:CONTEXT_HITS]]
        around: dict[int, list[int]] = {}
        for p in ranked:
            near = [int(index.previous[p]), int(index.following[p])]
            around[p] = [n for n in near if 0 <= n < len(mask) and mask[n]]
        wanted = list(dict.fromkeys([*ranked, *(n for v in around.values() for n in v)]))
        seq_of = dict(zip(wanted, index.seq_at(np.array(wanted, dtype=np.int64)), strict=True))
        named = index.structure.entity_ids(question.entities)
        speakers = [n for n, c in index.speaker_names().items() if c in question.speakers]
    rows = store.episodes.by_seq(ns, list(seq_of.values()))
    episode = {p: rows[s][0] for p, s in seq_of.items() if s in rows}
    for session in {e.session_id for e in episode.values()} - {None}:
        for event in store.events.list(ns, session):
            block.events.update({eid: event for eid in event.episode_ids})
    terms = set(question.terms)
    facts = [
        f for f in facts_about(store, ns, named, speakers) if relevant(f, terms, question.shape)
    ]
    block.facts = facts_block(facts, question.now, int(budget * FACT_SHARE), tokens)
    packer = Packer(block, budget - block.context(budget).tokens)
    excerpts: dict[str, str] = {}

    def shown(e: Episode) -> str:
        if e.id not in excerpts:
            excerpts[e.id] = excerpt(said(e), terms, tokens)
        return excerpts[e.id]

    hits = [p for p in ranked if p in episode]

    def neighbours(p: int) -> list[int]:
        return [n for n in around.get(p, []) if n in episode]

    select(hits, neighbours, episode, packer, shown)
    _whole_events(store, ns, index, ranked, episode, packer, shown)
    context = block.context(budget)
    for _ in range(FILL_ROUNDS):  # line by line, costs are close; the exact count corrects them
        packer.left = budget - context.tokens
        shown_before = len(block.turns)
        _fill(hits, neighbours, episode, packer, terms)
        context = _within(block, packer, budget)
        if len(block.turns) == shown_before:
            break
    return context


def select(
    ranked: Sequence[int],
    neighbours: Callable[[int], Sequence[int]],
    episode: dict[int, Episode],
    packer: Packer,
    shown: Callable[[Episode], str],
) -> None:
    """Hits best first, each followed by its neighbours, while they fit."""
    for hit in ranked:
        for key in (hit, *neighbours(hit)):
            if key in packer.taken:
                continue
            if not packer.take(key, episode[key], shown(episode[key])) and key == hit:
                return


def _fill(
    hits: Sequence[int],
    neighbours: Callable[[int], Sequence[int]],
    episode: dict[int, Episode],
    packer: Packer,
    terms: set[str],
) -> None:
    """The budget that is left spent on the best hits (and their neighbours) left
    out, each cut to what matches within the room there is."""
    tokens = packer.block.tokens
    for hit in hits:
        for key in (hit, *neighbours(hit)):
            if packer.left < FILL_TOKENS:
                return
            if key in packer.taken:
                continue
            e = episode[key]
            text = said(e)
            room = min(packer.left - packer.cost(e, ""), TURN_TOKENS)
            while room >= FILL_TOKENS:
                cut = excerpt(text, terms, tokens, room)
                if not cut.strip(f" {CUT}") or packer.take(key, e, cut):
                    break
                room -= packer.cost(e, cut) - packer.left  # shrink by the overshoot


def _within(block: Block, packer: Packer, budget: int) -> Context:
    """The block, with the last chosen turns dropped while the exact count of the
    whole block is over ``budget`` (line costs are counted one by one, and a
    line's time is known only once the turns are in order)."""
    context = block.context(budget)
    while context.tokens > budget and block.turns:
        over = context.tokens - budget
        while over > 0 and block.turns:
            over -= packer.costs[-1]
            packer.drop_last()
        context = block.context(budget)
    if context.tokens > budget:  # facts alone: drop the last ones
        while block.facts and context.tokens > budget:
            block.facts.pop()
            context = block.context(budget)
    return context


def facts_about(
    store: Store, ns: str, entity_ids: Sequence[str], names: Sequence[str]
) -> list[Fact]:
    """Every fact either end of which is one of the entities (by id or by name)."""
    ids = list(entity_ids)
    for name in names:
        ref = store.structure.entity_ref(ns, normalise(name))
        if ref is not None:
            ids.append(ref[0])
    facts: dict[str, Fact] = {}
    for entity_id in dict.fromkeys(ids):
        facts.update({f.id: f for f in store.structure.facts(ns, entity_id=entity_id)})
    return list(facts.values())


def _whole_events(
    store: Store,
    ns: str,
    index: NamespaceIndex,
    ranked: list[int],
    episode: dict[int, Episode],
    packer: Packer,
    shown: Callable[[Episode], str],
) -> None:
    """With budget left, the rest of the events the hits fall in, the event with
    the best hits first (each hit counts 1 / (1 + its rank)), whole or not at all."""
    events = packer.block.events
    chosen = set(packer.taken)
    weight: dict[str, float] = {}
    for rank, p in enumerate(ranked):
        event = events.get(episode[p].id) if p in chosen else None
        if event is not None:
            weight[event.id] = weight.get(event.id, 0.0) + 1.0 / (1 + rank)
    by_id = {e.id: e for e in events.values()}
    for event_id in sorted(weight, key=lambda e: -weight[e])[:WHOLE_EVENTS]:
        members = set(by_id[event_id].episode_ids)
        start = next(p for p in packer.taken if episode[p].id in members)
        with index.lock:
            near = _walk(index, start, len(members))
            seqs = dict(zip(near, index.seq_at(np.array(near, dtype=np.int64)), strict=True))
        rows = store.episodes.by_seq(ns, list(seqs.values()))
        missing = {}
        for p, seq in seqs.items():
            if seq in rows and rows[seq][0].id in members and p not in packer.taken:
                missing[p] = rows[seq][0]
        need = sum(packer.cost(e, shown(e)) for e in missing.values())
        if missing and need <= packer.left:
            episode.update(missing)
            for p, e in missing.items():
                packer.take(p, e, shown(e))


def _walk(index: NamespaceIndex, start: int, steps: int) -> list[int]:
    """``start`` and up to ``steps`` session neighbours on each side of it."""
    out = [start]
    for links in (index.previous, index.following):
        p = start
        for _ in range(steps):
            p = int(links[p])
            if p < 0:
                break
            out.append(p)
    return out
