"""One resolution pass over an extraction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from memstrata.extract.base import KNOWN_ONLY, Extraction
from memstrata.model import Fact
from memstrata.resolve.contradictions import FactResolver
from memstrata.resolve.entities import EntityResolver
from memstrata.resolve.matchers import NameMatcher
from memstrata.resolve.names import NameIndex
from memstrata.resolve.notes import NoteResolver
from memstrata.store.base import ChangeSet, EpisodeStore, StructureStore


def resolve(
    store: StructureStore,
    namespace: str,
    extraction: Extraction,
    now: datetime,
    matchers: Sequence[NameMatcher] = (),
    names: NameIndex | None = None,
    episodes: EpisodeStore | None = None,
) -> ChangeSet:
    """Entities first (facts point at them), then facts in order, then notes.
    ``names``: the namespace's known names (read from the store when None); the
    entities and aliases made here are added to it. ``episodes``: where a correction
    finds when the statement it amends was said."""
    changes = ChangeSet()
    entities = EntityResolver(store, namespace, now, matchers, names)
    facts = FactResolver(store, namespace, now, episodes)
    notes = NoteResolver(store, namespace, now)
    for mention in extraction.entities:
        if mention.kind == KNOWN_ONLY:
            entities.cite_if_known(mention.name, mention.episode_id, changes)
        else:
            entities.resolve(mention.name, mention.kind, mention.episode_id, changes)
    for draft in sorted(extraction.facts, key=lambda f: f.valid_at):
        subject = entities.resolve(draft.subject, draft.subject_kind, draft.episode_id, changes)
        obj = (
            None
            if draft.object_kind is None
            else entities.resolve(draft.object, draft.object_kind, draft.episode_id, changes)
        )
        if subject is not None:
            facts.resolve(draft, subject, obj, changes)
    corrected: dict[str, Fact] = {}
    for correction in extraction.corrections:
        subject = entities.resolve(correction.subject, "person", correction.episode_id, changes)
        if subject is None:
            continue
        done = facts.correct(correction, subject, entities, changes)
        if done is not None:
            corrected[correction.episode_id] = done[0]
    for note in extraction.notes:
        made = notes.resolve(note, changes)
        wrong = corrected.get(note.episode_id)
        if made is not None and wrong is not None:
            notes.link_correction(made, wrong, changes, note.episode_id)
    return changes
