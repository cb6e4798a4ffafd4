"""The Extractor protocol and what it produces: drafts, resolved later."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from memstrata.model import Episode, NoteKind

# The kind of a draft that may only mention an entity already known by its name
# (never creates one): a capitalised first word, "Biscuit chewed my shoes".
KNOWN_ONLY = "known-only"


@dataclass(frozen=True, slots=True)
class EntityDraft:
    """A mention of someone or something: its surface name and kind."""

    name: str
    kind: str
    episode_id: str


@dataclass(frozen=True, slots=True)
class FactDraft:
    """``subject —predicate→ object`` as said in one episode.

    ``object_kind`` is the entity kind of the object, or None for a literal
    value (an age, a job title). ``correction`` marks a retraction of what was
    said before ("actually, it was Tuesday"): the old fact is expired, not
    closed.
    """

    subject: str
    subject_kind: str
    predicate: str
    object: str
    object_kind: str | None
    valid_at: datetime
    statement: str
    episode_id: str
    correction: bool = False
    stated_at: datetime | None = None
    # "hold": the state is said to hold; "start": it began at valid_at; "end": the
    # subject's open fact of the predicate (with this object, or any when the
    # object is "") ended at valid_at.
    effect: str = "hold"


@dataclass(frozen=True, slots=True)
class CorrectionDraft:
    """A correction that names no whole fact ("actually it was Tuesday", "sorry,
    I meant Clara, not Anna"): it amends the speaker's latest fact stated before
    it. ``when`` re-dates that fact; ``weekday`` (0 Monday .. 6 Sunday), when the
    right time is a day of the week, moves it to that day of the week it was
    said to fall in ("it was Tuesday, not Monday"); ``value`` replaces its
    object, and ``wrong`` (the value said to be wrong) picks which fact is meant."""

    subject: str
    statement: str
    episode_id: str
    stated_at: datetime
    when: datetime | None = None
    value: str | None = None
    wrong: str | None = None
    weekday: int | None = None


@dataclass(frozen=True, slots=True)
class NoteDraft:
    kind: NoteKind
    text: str
    keywords: tuple[str, ...]
    speaker: str | None
    occurred_at: datetime
    episode_id: str
    tags: tuple[str, ...] = ()


@dataclass(slots=True)
class Extraction:
    """Drafts from one batch; ``source`` names what produced them when it is not
    the extractor that was asked (a fallback)."""

    entities: list[EntityDraft] = field(default_factory=list)
    facts: list[FactDraft] = field(default_factory=list)
    notes: list[NoteDraft] = field(default_factory=list)
    corrections: list[CorrectionDraft] = field(default_factory=list)
    source: str | None = None


class Extractor(Protocol):
    """Distils entities, facts and notes from a batch of episodes."""

    @property
    def name(self) -> str: ...

    def extract(self, episodes: Sequence[Episode]) -> Extraction: ...
