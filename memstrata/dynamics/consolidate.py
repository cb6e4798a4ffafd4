"""One consolidation round over a namespace, in phases, each idempotent:

1. ``merge``: near-duplicate notes fold into the oldest (its episodes, tags
   and links grow; the others are archived with "merged into …");
2. ``promote``: short-term notes move to long-term by the rules of strength.py;
3. ``events``: a summary per event (children: its episodes), written only when
   the event changed;
4. ``topics``: communities of events that name the same entities, a summary
   each (children: event summaries);
5. ``profile``: the namespace profile as the root (children: its facts and notes).

A phase can be cut anywhere (a crash, a kill): running it again finishes the
work without duplicating any of it, because summaries have stable ids and
are written whole, one transaction per batch, and merged notes are archived.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from memstrata.dynamics.forget import note_states
from memstrata.dynamics.profile import build_profile, profile_text
from memstrata.dynamics.strength import REPEAT_IMPORTANCE, base_stability, promoted
from memstrata.dynamics.summaries import (
    Embed,
    communities,
    extractive,
    fingerprint,
    summary_id,
    topic,
    with_llm,
)
from memstrata.events.service import segment_dirty
from memstrata.index import analyzer
from memstrata.model import Episode, Event, Fact, Note, Strength, Summary
from memstrata.providers.llm.chat import ChatClient
from memstrata.store.base import Store
from memstrata.timing import StageTimings

Progress = Callable[[int, int], None]
DUPLICATE_JACCARD = 0.8
COMMON_TERM = 300  # a term in more notes than this does not propose duplicates
EVENT_BATCH = 50
TOPIC_NAMES = 3
PHASES = ("merge", "promote", "events", "topics", "profile")


@dataclass(slots=True)
class Round:
    """What a consolidation round works with."""

    store: Store
    namespace: str
    at: datetime
    embed: Embed  # sentence vectors for extractive summaries' central sentences
    model: str  # the embedder's name (segmentation reads its vectors)
    llm: ChatClient | None = None


def _terms(note: Note) -> frozenset[str]:
    return frozenset(analyzer.terms(note.text))


def duplicate_groups(notes: Sequence[Note]) -> list[list[Note]]:
    """Groups of near-duplicate notes (same kind and speaker, Jaccard of their terms
    ≥ DUPLICATE_JACCARD; two terms or fewer must match exactly), oldest first."""
    terms = [_terms(n) for n in notes]
    postings: dict[tuple[str, str | None, str], list[int]] = {}
    for i, (note, words) in enumerate(zip(notes, terms, strict=True)):
        for word in words:
            postings.setdefault((note.kind, note.speaker, word), []).append(i)
    parent = list(range(len(notes)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, (note, words) in enumerate(zip(notes, terms, strict=True)):
        seen: set[int] = set()
        for word in words:
            posting = postings[(note.kind, note.speaker, word)]
            if len(posting) <= COMMON_TERM:
                seen.update(j for j in posting if j > i)
        for j in seen:
            if _similar(words, terms[j]):
                parent[root(j)] = root(i)
    groups: dict[int, list[Note]] = {}
    for i, note in enumerate(notes):
        groups.setdefault(root(i), []).append(note)
    found = [sorted(g, key=lambda n: (n.created_at, n.id)) for g in groups.values() if len(g) > 1]
    found.sort(key=lambda g: (g[0].created_at, g[0].id))
    return found


def _similar(a: frozenset[str], b: frozenset[str]) -> bool:
    if not a or not b:
        return a == b
    if min(len(a), len(b)) <= 2:
        return a == b
    return len(a & b) / len(a | b) >= DUPLICATE_JACCARD


def merge(work: Round, progress: Progress) -> dict[str, int]:
    notes = work.store.structure.notes(work.namespace, limit=10**9, include_archived=False)
    groups = duplicate_groups(notes)
    states = note_states(work.store, work.namespace, notes)
    merged = 0
    for done, group in enumerate(groups, 1):
        survivor = group[0]
        state = states[survivor.id]
        for other in group[1:]:
            gained = min(1.0, state.importance + REPEAT_IMPORTANCE * len(other.episode_ids))
            state = replace(
                state,
                importance=gained,
                stability_days=max(
                    state.stability_days,
                    states[other.id].stability_days,
                    base_stability(state.layer, gained),
                ),
            )
            work.store.dynamics.merge_note(
                work.namespace, state, states[other.id], "near-duplicate", work.at
            )
            merged += 1
        progress(done, len(groups))
    return {"duplicate_groups": len(groups), "merged": merged}


def promote(work: Round, progress: Progress) -> dict[str, int]:
    notes = work.store.structure.notes(work.namespace, limit=10**9, include_archived=False)
    states = note_states(work.store, work.namespace, notes)
    moved: list[Strength] = []
    for note in notes:
        up = promoted(states[note.id], len(note.episode_ids))
        if up is not None:
            moved.append(up)
    if moved:
        reasons = [("promote", f"short → long after {s.recalls} recalls") for s in moved]
        work.store.dynamics.put_strengths(work.namespace, moved, reasons)
    progress(1, 1)
    return {"promoted": len(moved)}


def summarise_events(work: Round, progress: Progress) -> dict[str, int]:
    store, ns = work.store, work.namespace
    segment_dirty(store, ns, work.model, StageTimings())
    events = store.events.list(ns)
    known = store.dynamics.fingerprints(ns, "event")
    author = "llm:" + work.llm.name if work.llm is not None else "extractive"
    wanted = {
        summary_id(ns, "event", e.id): (e, fingerprint(author, e.episode_ids)) for e in events
    }
    stale = [(sid, e, fp) for sid, (e, fp) in wanted.items() if known.get(sid) != fp]
    facts_of = _facts_by_episode(store.structure.facts(ns)) if stale else {}
    written = 0
    for start in range(0, len(stale), EVENT_BATCH):
        batch = stale[start : start + EVENT_BATCH]
        episodes = {
            e.id: e
            for e in store.episodes.get(ns, [i for _, ev, _ in batch for i in ev.episode_ids])
        }
        made = [
            _event_summary(
                work,
                sid,
                event,
                [episodes[i] for i in event.episode_ids if i in episodes],
                facts_of,
            )
            for sid, event, _ in batch
        ]
        store.dynamics.put_summaries(ns, made, _summary_strength(ns, work.at))
        written += len(made)
        progress(min(start + EVENT_BATCH, len(stale)), len(stale))
    dropped = store.dynamics.drop_summaries(ns, "event", list(wanted))
    return {
        "events": len(events),
        "event_summaries_written": written,
        "event_summaries_dropped": dropped,
    }


def _facts_by_episode(facts: Sequence[Fact]) -> dict[str, list[Fact]]:
    found: dict[str, list[Fact]] = {}
    for fact in facts:
        if fact.expired_at is None:
            for episode_id in fact.episode_ids:
                found.setdefault(episode_id, []).append(fact)
    return found


def _event_summary(
    work: Round, sid: str, event: Event, turns: Sequence[Episode], facts_of: dict[str, list[Fact]]
) -> tuple[Summary, str]:
    """The summary and its fingerprint, which names who wrote it: an extractive
    stand-in for a failed LLM call is written again by the LLM next round."""
    facts = list({f.statement: f for e in turns for f in facts_of.get(e.id, [])}.values())
    written = with_llm(work.llm, event, turns) if work.llm is not None else None
    author = "llm:" + work.llm.name if work.llm is not None and written is not None else ""
    if written is None:
        written = extractive(event, turns, facts, work.embed)
    summary = Summary(
        id=sid,
        namespace=work.namespace,
        level="event",
        title=written.title,
        text=written.text,
        started_at=event.started_at,
        ended_at=event.ended_at,
        updated_at=work.at,
        child_kind="episode",
        children=event.episode_ids,
    )
    return summary, fingerprint(author or "extractive", event.episode_ids)


def _summary_strength(namespace: str, at: datetime) -> Strength:
    return Strength(
        "summary", "", namespace, "reflection", 0.5, base_stability("reflection", 0.5), at
    )


def summarise_topics(work: Round, progress: Progress) -> dict[str, int]:
    store, ns = work.store, work.namespace
    events = store.dynamics.summaries(ns, level="event", include_archived=True)
    event_of = {episode: s.id for s in events for episode in s.children}
    mentions: dict[str, list[str]] = {}
    for episode_id, entity_id in store.structure.mentions(ns):
        owner = event_of.get(episode_id)
        if owner is not None:
            mentions.setdefault(owner, []).append(entity_id)
    groups = communities([s.id for s in events], mentions)
    by_id = {s.id: s for s in events}
    made = []
    for group in groups:
        counts: dict[str, int] = {}
        for sid in group:
            for entity_id in set(mentions.get(sid, [])):
                counts[entity_id] = counts.get(entity_id, 0) + 1
        top = sorted(counts, key=lambda k: (-counts[k], k))[:TOPIC_NAMES]
        names = {e.id: e.name for e in store.structure.entities(ns, ids=top)}
        summary = topic(
            ns, [by_id[s] for s in group], [names[k] for k in top if k in names], work.at
        )
        made.append((summary, fingerprint(summary.children, summary.title)))
    store.dynamics.put_summaries(ns, made, _summary_strength(ns, work.at))
    dropped = store.dynamics.drop_summaries(ns, "topic", [s.id for s, _ in made])
    progress(1, 1)
    return {"topics": len(made), "topics_dropped": dropped}


def summarise_profile(work: Round, progress: Progress) -> dict[str, int]:
    store, ns = work.store, work.namespace
    profile = build_profile(store, ns, work.at)
    if not profile.lines:
        store.dynamics.drop_summaries(ns, "profile", [])
        progress(1, 1)
        return {"profile_lines": 0}
    root = Summary(
        id=summary_id(ns, "profile", ""),
        namespace=ns,
        level="profile",
        title=f"profile of {ns}",
        text=profile_text(profile),
        started_at=min(line.since for line in profile.lines),
        ended_at=max(line.since for line in profile.lines),
        updated_at=work.at,
        child_kind="record",
        children=tuple(f"{line.record_kind}:{line.record_id}" for line in profile.lines),
    )
    store.dynamics.put_summaries(
        ns, [(root, fingerprint(root.children, root.text))], _summary_strength(ns, work.at)
    )
    progress(1, 1)
    return {"profile_lines": len(profile.lines)}


RUNNERS: dict[str, Callable[[Round, Progress], dict[str, int]]] = {
    "merge": merge,
    "promote": promote,
    "events": summarise_events,
    "topics": summarise_topics,
    "profile": summarise_profile,
}
