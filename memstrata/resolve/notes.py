"""Notes: insert, or merge into a note that says the same thing."""

from __future__ import annotations

import uuid
from datetime import datetime

from memstrata.extract.base import NoteDraft
from memstrata.index.analyzer import analyze
from memstrata.model import Note
from memstrata.store.base import ChangeSet, StructureStore


def note_key(text: str) -> str:
    """Near-duplicate key: the sorted distinct index terms of the text."""
    return " ".join(sorted(set(analyze(text))))


MAX_LINKS = 3
MIN_LINK_SCORE = 0.2
MAX_TAGS = 12
CANDIDATES = 20


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


class NoteResolver:
    """Insert or merge notes; link each new note to its closest notes (A-MEM) and
    let the linked notes' tags evolve with it, every step logged in history."""

    def __init__(self, store: StructureStore, namespace: str, now: datetime) -> None:
        self._store = store
        self._namespace = namespace
        self._now = now
        self._batch: dict[tuple[str, str | None], Note] = {}
        self._by_keyword: dict[str, list[Note]] = {}

    def resolve(self, draft: NoteDraft, changes: ChangeSet) -> None:
        key = note_key(draft.text)
        if not key:
            return
        same = self._batch.get((key, draft.speaker))
        if same is None:
            stored = self._store.notes(self._namespace, norm=key, speaker=draft.speaker, limit=1)
            same = stored[0] if stored else None
        if same is not None:
            changes.sources.append(("note", same.id, draft.episode_id))
            changes.history.append(
                ("note", same.id, "merge", "the same note again", (draft.episode_id,))
            )
            return
        note = Note(
            id=uuid.uuid4().hex,
            namespace=self._namespace,
            kind=draft.kind,
            text=draft.text,
            keywords=draft.keywords,
            speaker=draft.speaker,
            occurred_at=draft.occurred_at,
            created_at=self._now,
            episode_ids=(draft.episode_id,),
            tags=draft.tags,
        )
        changes.notes.append((note, key))
        changes.sources.append(("note", note.id, draft.episode_id))
        changes.history.append(
            ("note", note.id, "create", f"extracted as a {draft.kind}", (draft.episode_id,))
        )
        self._link(note, draft.episode_id, changes)
        self._batch[(key, draft.speaker)] = note
        for keyword in set(note.keywords):
            self._by_keyword.setdefault(keyword, []).append(note)

    def _candidates(self, note: Note) -> dict[str, Note]:
        found = {
            n.id: n
            for n in self._store.related_notes(self._namespace, list(note.keywords), CANDIDATES)
        }
        for keyword in set(note.keywords):
            for other in self._by_keyword.get(keyword, [])[-CANDIDATES:]:
                found[other.id] = other
        found.pop(note.id, None)
        return found

    def _link(self, note: Note, episode_id: str, changes: ChangeSet) -> None:
        words = set(note.keywords)
        scored = sorted(
            (
                (jaccard(words, set(other.keywords)), other)
                for other in self._candidates(note).values()
            ),
            key=lambda pair: (-pair[0], pair[1].id),
        )
        for score, other in scored[:MAX_LINKS]:
            if score < MIN_LINK_SCORE:
                break
            shared = ", ".join(sorted(words & set(other.keywords))[:4])
            changes.links.append((note.id, other.id, score, f"shares {shared}"))
            changes.history.append(
                (
                    "note",
                    note.id,
                    "link",
                    f"linked to note {other.id} (shares {shared})",
                    (episode_id,),
                )
            )
            self._evolve(other, note, episode_id, changes)

    def _evolve(self, other: Note, note: Note, episode_id: str, changes: ChangeSet) -> None:
        """The linked note takes on the new note's tags (A-MEM's memory evolution)."""
        current = changes.tags.get(other.id, other.tags)
        grown = tuple(dict.fromkeys([*current, *note.tags]))[:MAX_TAGS]
        if grown != current:
            changes.tags[other.id] = grown
            added = ", ".join(t for t in grown if t not in current)
            changes.history.append(
                (
                    "note",
                    other.id,
                    "evolve",
                    f"tags {added} from linked note {note.id}",
                    (episode_id,),
                )
            )
