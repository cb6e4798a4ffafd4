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


class NoteResolver:
    def __init__(self, store: StructureStore, namespace: str, now: datetime) -> None:
        self._store = store
        self._namespace = namespace
        self._now = now
        self._batch: dict[tuple[str, str | None], Note] = {}

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
        )
        changes.notes.append((note, key))
        changes.sources.append(("note", note.id, draft.episode_id))
        changes.history.append(
            ("note", note.id, "create", f"extracted as a {draft.kind}", (draft.episode_id,))
        )
        self._batch[(key, draft.speaker)] = note
