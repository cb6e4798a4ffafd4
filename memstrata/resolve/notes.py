"""Notes: insert, or merge into a note that says the same thing."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from memstrata.extract.base import NoteDraft
from memstrata.index import analyzer
from memstrata.model import Fact, Note
from memstrata.store.base import ChangeSet, StructureStore


def note_key(text: str) -> str:
    """Near-duplicate key: the sorted distinct index terms of the text."""
    return " ".join(sorted(set(analyzer.terms(text))))


MAX_LINKS = 3
MIN_LINK_SCORE = 0.2
MAX_TAGS = 12
CANDIDATES = 20
NEAR_DUPLICATE = 0.8
MIN_NEAR_DUPLICATE_WORDS = 3


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
        self._related: dict[tuple[str, ...], list[Note]] = {}  # the store's, per keyword set

    def resolve(self, draft: NoteDraft, changes: ChangeSet) -> Note | None:
        """The note the draft became: a new one, or the one it merged into."""
        key = note_key(draft.text)
        if not key:
            return None
        same = self._batch.get((key, draft.speaker))
        if same is None:
            stored = self._store.notes(self._namespace, norm=key, speaker=draft.speaker, limit=1)
            same = stored[0] if stored else None
        reason = "the same note again"
        if same is None:
            near = self._near_duplicate(draft)
            if near is not None:
                same, score = near
                reason = f"a near-duplicate (keyword Jaccard {score:.2f})"
        if same is not None:
            changes.sources.append(("note", same.id, draft.episode_id))
            changes.history.append(("note", same.id, "merge", reason, (draft.episode_id,)))
            return same
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
        return note

    def link_correction(self, note: Note, wrong: Fact, changes: ChangeSet, episode_id: str) -> None:
        """Link a correcting note (made or merged into from ``episode_id``) to the
        notes that stated what it corrects, and say so in their history (they
        stay: the episodes said what they said)."""
        keywords = list(dict.fromkeys(analyzer.terms(wrong.statement)))
        said = set(wrong.episode_ids)
        candidates = self._candidates(keywords, note.id)
        refs = [i for i, n in candidates.items() if not n.episode_ids]  # read with sources
        if refs:
            stored = self._store.notes(self._namespace, ids=refs, limit=len(refs))
            candidates.update({n.id: n for n in stored})
        for other in candidates.values():
            if not said & set(other.episode_ids):
                continue
            changes.links.append((note.id, other.id, 1.0, f"corrects {wrong.predicate}"))
            changes.history.append(
                (
                    "note",
                    other.id,
                    "correct",
                    f"corrected by note {note.id}: {note.text}",
                    (episode_id,),
                )
            )

    def _candidates(self, keywords: Sequence[str], exclude: str | None = None) -> dict[str, Note]:
        key = tuple(dict.fromkeys(keywords))
        if key not in self._related:  # a draft asks twice: near-duplicate, then links
            self._related[key] = self._store.related_notes(self._namespace, list(key), CANDIDATES)
        found = {n.id: n for n in self._related[key]}
        for keyword in set(keywords):
            for other in self._by_keyword.get(keyword, [])[-CANDIDATES:]:
                found[other.id] = other
        found.pop(exclude or "", None)
        return found

    def _near_duplicate(self, draft: NoteDraft) -> tuple[Note, float] | None:
        """A note of the same speaker and kind saying nearly the same (merged, not linked)."""
        words = set(draft.keywords)
        if len(words) < MIN_NEAR_DUPLICATE_WORDS:
            return None
        best: tuple[Note, float] | None = None
        for other in self._candidates(draft.keywords).values():
            if other.speaker != draft.speaker or other.kind != draft.kind:
                continue
            score = jaccard(words, set(other.keywords))
            if score >= NEAR_DUPLICATE and (best is None or score > best[1]):
                best = (other, score)
        return best

    def _link(self, note: Note, episode_id: str, changes: ChangeSet) -> None:
        words = set(note.keywords)
        scored = sorted(
            (
                (jaccard(words, set(other.keywords)), other)
                for other in self._candidates(note.keywords, note.id).values()
            ),
            key=lambda pair: (-pair[0], pair[1].text, pair[1].id),  # ids are random
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
