"""Entity resolution as a cascade: normalised name, alias, similar spelling."""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from memstrata.model import ENTITY_KINDS, Entity
from memstrata.resolve.names import EXACT_KINDS, NameIndex
from memstrata.store.base import ChangeSet, StructureStore

if TYPE_CHECKING:
    from memstrata.resolve.matchers import NameMatcher

_ARTICLE = re.compile(r"^(?:the|a|an)\s+")
_POSSESSIVE = re.compile(r"['’]s$")
_JUNK = re.compile(r"[^\w\s\-&]")
# Spelling variants are matched only for names this long (short names collide).
MIN_FUZZY_LENGTH = 5
FUZZY_THRESHOLD = 0.72


def normalise(name: str) -> str:
    """'The  Louvre's' -> 'louvre'; accents kept, case and spacing folded."""
    text = unicodedata.normalize("NFKC", name).casefold().strip()
    text = _POSSESSIVE.sub("", text)
    text = _JUNK.sub(" ", text)
    text = _ARTICLE.sub("", " ".join(text.split()))
    return text


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
        names: NameIndex | None = None,
    ) -> None:
        self._store = store
        self._namespace = namespace
        self._now = now
        self._matchers = matchers
        self._names = names
        self._batch: dict[str, Entity] = {}
        self._by_id: dict[str, Entity] = {}
        self._cited: set[tuple[str, str]] = set()

    def resolve(self, name: str, kind: str, episode_id: str, changes: ChangeSet) -> Entity | None:
        kind = kind if kind in ENTITY_KINDS else "other"  # an extractor's own word
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
                self.names.add(found.id, norm, found.kind)
        if found is None:
            found = Entity(
                uuid.uuid4().hex, self._namespace, name.strip(), kind, (), self._now, (episode_id,)
            )
            changes.entities.append((found, norm))
            changes.sources.append(("entity", found.id, episode_id))
            changes.history.append(
                ("entity", found.id, "create", f"mentioned as a {kind}", (episode_id,))
            )
            self.names.add(found.id, norm, kind)
            self._by_id[found.id] = found
        self._batch[norm] = found
        self._cited.add((found.id, episode_id))
        return found

    def cite_if_known(self, name: str, episode_id: str, changes: ChangeSet) -> Entity | None:
        """The entity known by exactly this name, cited by the episode; else nothing
        (no spelling match, no new entity). Only the known names are asked, not
        the store: a name another process gave an alias a moment ago goes uncited."""
        norm = normalise(name)
        found = (self._batch.get(norm) or self._known(norm)) if norm else None
        if found is not None and (found.id, episode_id) not in self._cited:
            changes.sources.append(("entity", found.id, episode_id))
            self._cited.add((found.id, episode_id))
        return found

    def _known(self, norm: str) -> Entity | None:
        """The entity of a name among the known names, as a reference."""
        known = self.names.named(norm)
        if known is None:
            return None
        return self._by_id.get(known.entity_id) or Entity(
            known.entity_id, self._namespace, known.norm, known.kind, (), self._now, ()
        )

    def _stored(self, norm: str) -> Entity | None:
        """The stored entity of a name, as a reference (its id, name and kind)."""
        ref = self._store.entity_ref(self._namespace, norm)
        if ref is None:
            return None
        entity_id, name, kind = ref
        return Entity(entity_id, self._namespace, name, kind, (), self._now, ())

    @property
    def names(self) -> NameIndex:
        """The namespace's known names: the one given, else every stored name."""
        if self._names is None:
            self._names = load_names(self._store, self._namespace, NameIndex(), None)
        return self._names

    def _entity(self, entity_id: str) -> Entity | None:
        if entity_id not in self._by_id:
            found = self._store.entities(self._namespace, ids=[entity_id])
            if not found:  # purged since the names were read
                return None
            self._by_id[entity_id] = found[0]
        return self._by_id[entity_id]

    def _similar(self, norm: str, kind: str) -> tuple[Entity, str] | None:
        """The most similar known spelling (character trigrams)."""
        if len(norm) < MIN_FUZZY_LENGTH or kind in EXACT_KINDS:
            return None
        found = self.names.spelled_like(norm, kind, FUZZY_THRESHOLD)
        entity = None if found is None else self._entity(found[0].entity_id)
        return None if entity is None else (entity, f"a spelling of '{entity.name}'")

    def _ask_matchers(self, norm: str, kind: str) -> tuple[Entity, str] | None:
        for matcher in self._matchers:
            found = matcher.match(norm, kind, self.names)
            if found is not None:
                entity = self._entity(found[0])
                if entity is not None:
                    return entity, found[1]
        return None


def load_names(
    store: StructureStore, namespace: str, names: NameIndex, since: datetime | None
) -> NameIndex:
    """Add to ``names`` the stored names of the namespace's entities (every one,
    aliases too; or, with ``since``, those of the entities created since)."""
    for entity_id, norm, kind in store.entity_names(namespace, since):
        names.add(entity_id, norm, kind)
    return names
