"""The namespace profile: who the people in it are now (current facts) and what
they like (preference notes), each line with its provenance, and for a fact that
replaced another (a move, a new job) what it replaced and when."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from memstrata.extract.patterns import EVENTS
from memstrata.model import Fact, Note, Profile, ProfileLine
from memstrata.store.base import Store

PREFERENCES_PER_SPEAKER = 20


def build_profile(store: Store, namespace: str, at: datetime) -> Profile:
    """The profile as memstrata believes it at ``at`` (facts valid then)."""
    facts = [f for f in store.structure.facts(namespace) if f.predicate not in EVENTS]
    lines = fact_lines(facts, at)
    notes = store.structure.notes(namespace, kind="preference", limit=10**6, include_archived=False)
    said = {e for line in lines for e in line.episode_ids}
    lines += preference_lines([n for n in notes if not set(n.episode_ids) <= said])
    lines.sort(key=lambda line: (line.subject.casefold(), line.record_kind, line.since))
    return Profile(namespace, tuple(lines), at)


def fact_lines(facts: Sequence[Fact], at: datetime) -> list[ProfileLine]:
    """A line per fact true at ``at``, with the closed facts of the same subject and
    predicate it followed."""
    held = [f for f in facts if f.expired_at is None and f.valid_at <= at]
    lines = []
    for fact in held:
        if not fact.is_valid_at(at):
            continue
        before = [
            f
            for f in held
            if f.subject_id == fact.subject_id
            and f.predicate == fact.predicate
            and f.invalid_at is not None
            and f.invalid_at <= fact.valid_at
        ]
        before.sort(key=lambda f: f.valid_at)
        lines.append(
            ProfileLine(
                subject=fact.subject,
                statement=phrase(fact),
                record_kind="fact",
                record_id=fact.id,
                since=fact.valid_at,
                episode_ids=fact.episode_ids,
                previously=tuple(
                    f"{phrase(f)} (until {f.invalid_at:%Y-%m-%d})"
                    for f in before
                    if f.invalid_at is not None
                ),
            )
        )
    return lines


def phrase(fact: Fact) -> str:
    """``Ana lives in Lyon``: the fact as a short sentence."""
    return f"{fact.subject} {fact.predicate.replace('_', ' ')} {fact.object}"


def preference_lines(notes: Sequence[Note]) -> list[ProfileLine]:
    """The newest preference notes of each speaker, one line per distinct text."""
    seen: set[tuple[str, str]] = set()
    count: dict[str, int] = {}
    lines = []
    for note in sorted(notes, key=lambda n: n.occurred_at, reverse=True):
        subject = note.speaker or ""
        key = (subject, note.text.casefold())
        if key in seen or count.get(subject, 0) >= PREFERENCES_PER_SPEAKER:
            continue
        seen.add(key)
        count[subject] = count.get(subject, 0) + 1
        lines.append(
            ProfileLine(
                subject=subject,
                statement=note.text,
                record_kind="note",
                record_id=note.id,
                since=note.occurred_at,
                episode_ids=note.episode_ids,
            )
        )
    return lines


def profile_text(profile: Profile) -> str:
    """One line per entry, grouped by subject: the profile summary's text."""
    out: list[str] = []
    subject = None
    for line in profile.lines:
        if line.subject != subject:
            subject = line.subject
            out.append(f"{subject or 'unattributed'}:")
        out.append(f"- {line.statement}")
    return "\n".join(out)
