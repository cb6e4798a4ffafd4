"""Entity resolution as a cascade: normalised name, alias, similar spelling."""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from memstrata.model import Entity
from memstrata.store.base import ChangeSet, StructureStore

if TYPE_CHECKING:
    from memstrata.resolve.matchers import NameMatcher

_ARTICLE = re.compile(r"^(?:the|a|an)\s+")
_POSSESSIVE = re.compile(r"['’]s$")
_JUNK = re.compile(r"[^\w\s\-&]")
# Spelling variants are matched only for names this long (short names collide).
MIN_FUZZY_LENGTH = 5
FUZZY_THRESHOLD = 0.72
# Kinds whose names are canonical labels ('2023-05-08', '3 kids'): exact matches only.
EXACT_KINDS = frozenset({"date", "quantity"})


def normalise(name: str) -> str:
    """'The  Louvre's' -> 'louvre'; accents kept, case and spacing folded."""
    text = unicodedata.normalize("NFKC", name).casefold().strip()
    text = _POSSESSIVE.sub("", text)
    text = _JUNK.sub(" ", text)
    text = _ARTICLE.sub("", " ".join(text.split()))
    return text


def trigrams(text: str) -> set[str]:
    padded = f"  {text} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of character trigrams."""
    left, right = trigrams(a), trigrams(b)
    return len(left & right) / len(left | right) if left and right else 0.0


class EntityResolver:
    """Finds or creates the entity a mention refers to, within one namespace.

    The cascade: normalised name, known alias, similar spelling (character
    trigrams, for names of at least MIN_FUZZY_LENGTH), then the ``matchers``
    in order (embedding similarity; an LLM's judgement when one is configured).
    """

    def __init__(
        self,
        store: StructureStore,
        namespace: str,
        now: datetime,
        matchers: Sequence[NameMatcher] = (),
    ) -> None:
        self._store = store
        self._namespace = namespace
        self._now = now
        self._matchers = matchers
        self._batch: dict[str, Entity] = {}
        self._names: list[tuple[str, str, str]] | None = None
        self._grams: dict[str, list[int]] = {}  # trigram -> indexes into _names
        self._by_id: dict[str, Entity] = {}
        self._cited: set[tuple[str, str]] = set()

    def resolve(self, name: str, kind: str, episode_id: str, changes: ChangeSet) -> Entity | None:
        norm = normalise(name)
        if not norm:
            return None
        found = self._batch.get(norm) or self._stored(norm)
        if found is not None and (found.id, episode_id) not in self._cited:
            changes.sources.append(("entity", found.id, episode_id))  # every mention cited
        if found is None:
            match = self._similar(norm, kind) or self._ask_matchers(norm, kind)
            if match is not None:
                found, reason = match
                changes.aliases.append((found.id, name, norm))
                changes.sources.append(("entity", found.id, episode_id))
                changes.history.append(
                    ("entity", found.id, "alias", f"'{name}': {reason}", (episode_id,))
                )
        if found is None:
            found = Entity(
                uuid.uuid4().hex, self._namespace, name.strip(), kind, (), self._now, (episode_id,)
            )
            changes.entities.append((found, norm))
            changes.sources.append(("entity", found.id, episode_id))
            changes.history.append(
                ("entity", found.id, "create", f"mentioned as a {kind}", (episode_id,))
            )
            self._remember(found.id, norm, kind)
            self._by_id[found.id] = found
        self._batch[norm] = found
        self._cited.add((found.id, episode_id))
        return found

    def cite_if_known(self, name: str, episode_id: str, changes: ChangeSet) -> Entity | None:
        """The entity known by exactly this name, cited by the episode; else nothing
        (no spelling match, no new entity)."""
        norm = normalise(name)
        found = (self._batch.get(norm) or self._stored(norm)) if norm else None
        if found is not None and (found.id, episode_id) not in self._cited:
            changes.sources.append(("entity", found.id, episode_id))
            self._cited.add((found.id, episode_id))
        return found

    def _stored(self, norm: str) -> Entity | None:
        """The stored entity of a name, as a reference (its id, name and kind)."""
        ref = self._store.entity_ref(self._namespace, norm)
        if ref is None:
            return None
        entity_id, name, kind = ref
        return Entity(entity_id, self._namespace, name, kind, (), self._now, ())

    def _known_names(self) -> list[tuple[str, str, str]]:
        if self._names is None:
            self._names = []
            for entity_id, norm, kind in self._store.entity_names(self._namespace):
                self._remember(entity_id, norm, kind)
        return self._names

    def _remember(self, entity_id: str, norm: str, kind: str) -> None:
        names = self._known_names()
        if kind not in EXACT_KINDS and len(norm) >= MIN_FUZZY_LENGTH:
            for gram in trigrams(norm):
                self._grams.setdefault(gram, []).append(len(names))
        names.append((entity_id, norm, kind))

    def _entity(self, entity_id: str) -> Entity:
        if entity_id not in self._by_id:
            (self._by_id[entity_id],) = self._store.entities(self._namespace, ids=[entity_id])
        return self._by_id[entity_id]

    def _similar(self, norm: str, kind: str) -> tuple[Entity, str] | None:
        """The most similar known spelling, found through the trigram index: a
        name sharing fewer than FUZZY_THRESHOLD of the mention's trigrams cannot
        reach the threshold, so only names that share enough are scored."""
        if len(norm) < MIN_FUZZY_LENGTH or kind in EXACT_KINDS:
            return None
        names, grams = self._known_names(), trigrams(norm)
        shared: dict[int, int] = {}
        for gram in grams:
            for index in self._grams.get(gram, ()):
                shared[index] = shared.get(index, 0) + 1
        needed = FUZZY_THRESHOLD * len(grams)
        best, best_score = None, FUZZY_THRESHOLD
        for index, count in shared.items():
            if count < needed:
                continue
            entity_id, other, other_kind = names[index]
            if abs(len(other) - len(norm)) > 3:
                continue
            if kind != other_kind and "other" not in (kind, other_kind):
                continue
            score = similarity(norm, other)
            if score >= best_score:
                best, best_score = entity_id, score
        if best is None:
            return None
        entity = self._entity(best)
        return entity, f"a spelling of '{entity.name}'"

    def _ask_matchers(self, norm: str, kind: str) -> tuple[Entity, str] | None:
        for matcher in self._matchers:
            found = matcher.match(norm, kind, self._known_names())
            if found is not None:
                return self._entity(found[0]), found[1]
        return None
