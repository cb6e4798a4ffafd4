"""One recall: a validated request, its passes over the index, their ranking.

``make_ask`` validates a request once (text, filters, retrievers, the time it
is asked); ``candidates`` runs one pass (query analysis, every retriever,
features); ``rank_rounds`` ranks the pool and, for a weak first pass, runs
further passes with the entities its best hits mention (iterative recall),
reusing the index and the filters' mask of the first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np

from memstrata import validate
from memstrata.config import Settings
from memstrata.errors import InvalidInput
from memstrata.index import analyzer
from memstrata.index.columns import fit
from memstrata.index.namespace_index import NamespaceIndex, Selection
from memstrata.model import Filters, Metadata
from memstrata.retrieve.expand import WordSpace, expand
from memstrata.retrieve.query import Query, analyse_query
from memstrata.retrieve.ranker import Ranker
from memstrata.retrieve.recall import (
    EXPANSION_ENTITIES,
    RETRIEVERS,
    Candidates,
    Scored,
    featurize,
    gather,
    is_weak,
    merge_rounds,
    ranked_candidates,
)
from memstrata.store.base import Store
from memstrata.timeutil import now as utcnow
from memstrata.timeutil import to_us
from memstrata.timing import StageTimings

Embed = Callable[[Sequence[str]], np.ndarray | None]


@dataclass(frozen=True, slots=True)
class Ask:
    """A validated recall request."""

    text: str
    filters: Selection
    retrievers: tuple[str, ...]
    now: datetime
    depth: int  # hits each retriever hands to the ranker


NO_FILTERS = Filters()


def filters_of(
    filters: Filters | None,
    *,
    session_id: str | None = None,
    speaker: str | None = None,
    since: datetime | str | None = None,
    until: datetime | str | None = None,
    metadata: Metadata | None = None,
) -> Filters:
    """One Filters record from ``filters`` or from the keywords that name its
    fields one by one: either, not both."""
    if filters is None:
        return Filters(session_id, speaker, since, until, metadata)
    if not isinstance(filters, Filters):
        raise InvalidInput("must be a Filters record", field="filters")
    given = {
        "session_id": session_id,
        "speaker": speaker,
        "since": since,
        "until": until,
        "metadata": metadata,
    }
    named = sorted(k for k, v in given.items() if v is not None)
    if named:
        raise InvalidInput(f"give filters= or {', '.join(named)}, not both", field="filters")
    return filters


def make_ask(
    store: Store,
    settings: Settings,
    ns: str,
    query: str,
    count: int,
    filters: Filters = NO_FILTERS,
    retrievers: Sequence[str] | None = None,
    now: datetime | str | None = None,
    seqs: set[int] | None = None,
) -> Ask:
    """Check every part of a request (InvalidInput naming the culprit) and resolve
    the metadata filter to the episodes it allows."""
    text = validate.text(query, "query", settings.max_query_chars)
    chosen = tuple(retrievers or RETRIEVERS)
    if set(chosen) - set(RETRIEVERS):
        raise InvalidInput(f"must be among {RETRIEVERS}", field="retrievers")
    asked_at = utcnow() if now is None else validate.aware_utc(now, "now")
    since, until = filters.since, filters.until
    selection = Selection(
        session_id=validate.label(filters.session_id, "session_id"),
        speaker=validate.label(filters.speaker, "speaker"),
        since_us=None if since is None else to_us(validate.aware_utc(since, "since")),
        until_us=None if until is None else to_us(validate.aware_utc(until, "until")),
    )
    where = validate.metadata_filter(filters.metadata)
    if where:
        matching = store.episodes.matching_metadata(ns, where)
        seqs = matching if seqs is None else matching & seqs
    if seqs is not None:
        selection = replace(selection, seqs=frozenset(seqs))
    return Ask(text, selection, chosen, asked_at, max(settings.candidate_depth, count))


def candidates(
    index: NamespaceIndex,
    ask: Ask,
    text: str,
    mask: np.ndarray,
    embed: Embed,
    stages: StageTimings,
    words: WordSpace | None = None,
) -> tuple[Query, Candidates]:
    """One pass: analyse ``text``, run every chosen retriever, featurize the pool."""
    with stages.stage("analyze"):
        vector = None
        if {"dense", "keys_dense", "graph"} & set(ask.retrievers):
            embedded = embed([text])
            vector = None if embedded is None else embedded[0]
    with index.lock:
        mask = fit(mask, index.size)  # the index may have grown since the mask was made
        with stages.stage("analyze"):
            question = analyse_query(index, text, analyzer.terms(text), ask.now, vector, mask)
            if words is not None and "expand" in ask.retrievers:
                near = expand(words, text, index.bm25.postings)
                question = replace(question, expansions=tuple(near))
        found = gather(index, index.structure, question, mask, ask.depth, ask.retrievers, stages)
        with stages.stage("rank"):
            return question, featurize(index, index.structure, question, found, mask)


def rank_rounds(
    store: Store,
    ns: str,
    index: NamespaceIndex,
    ask: Ask,
    first: tuple[Query, Candidates],
    ranker: Ranker,
    rounds: int,
    embed: Embed,
    stages: StageTimings,
    words: WordSpace | None = None,
) -> list[Scored]:
    """The first pass's pool best first; while the best is weak and ``rounds`` are
    left, the question again with the names of the entities its three best hits
    mention, the new finds merged at a discount."""
    question, pooled = first
    with index.lock, stages.stage("rank"):
        merged = ranked_candidates(index, question, pooled, ranker)
    text = question.text
    while rounds > 0 and merged and is_weak(merged[0].score):
        rounds -= 1
        with index.lock:
            best = [r.position for r in merged[:3]]
            names = index.structure.entity_ids_mentioned(best, index.size)
        found = store.structure.entities(ns, ids=names[:EXPANSION_ENTITIES])
        added = " ".join(e.name for e in found if e.name.lower() not in text.lower())
        if not added:
            break
        text = f"{text} {added}"
        again, more = candidates(index, ask, text, pooled.mask, embed, stages, words)
        with index.lock, stages.stage("rank"):
            merged = merge_rounds(merged, ranked_candidates(index, again, more, ranker))
    return merged
