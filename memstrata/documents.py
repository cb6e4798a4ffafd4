"""Documents: JSON values kept under keys, each version an episode.

A key's versions are episodes of its namespace with ids ``doc:<digest>:<n>``,
in a session of their own (``doc:<digest>``: a document has no neighbours in a
conversation), so every version stays in the store: ``put`` on a key stores a new version and
soft-deletes the one it replaces, ``delete`` soft-deletes the current one.
Only the current version is live, so search finds it and nothing older; a
version's text is indexed and extracted like any message. The framework
adapters (``memstrata.integrations``, ``memstrata.compat``) are built on this.

>>> docs = Documents(memory)                                       # doctest: +SKIP
>>> docs.put("prefs", "theme", {"colour": "dark"})                 # doctest: +SKIP
>>> docs.get("prefs", "theme").value                               # doctest: +SKIP
{'colour': 'dark'}
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime

from memstrata import validate
from memstrata.errors import Conflict, InvalidInput
from memstrata.memory import Memory
from memstrata.model import Document, Episode, JSONValue
from memstrata.timeutil import now

FIELD = "document"  # the metadata entry a version's key, value and life are kept under
_PREFIX = "doc:"
_MAX_KEY_CHARS = 1024
_TRIES = 3  # a put that lost a race for the next version number reads again


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def version_id(key: str, version: int) -> str:
    """The episode id of a key's version (numbers sort as text)."""
    return f"{_PREFIX}{_digest(key)}:{version:08d}"


def render(value: Mapping[str, JSONValue]) -> str:
    """A document's text for search: one ``path: value`` line per scalar leaf."""
    lines: list[str] = []
    stack: list[tuple[str, JSONValue]] = [(k, v) for k, v in reversed(list(value.items()))]
    while stack:
        path, item = stack.pop()
        if isinstance(item, dict):
            stack.extend((f"{path}.{k}", v) for k, v in reversed(list(item.items())))
        elif isinstance(item, list):
            stack.extend((path, v) for v in reversed(item))
        elif item is not None and str(item).strip():
            lines.append(f"{path}: {item}")
    return "\n".join(lines)


def document_of(episode: Episode) -> Document | None:
    """The document version an episode holds, or None for any other episode."""
    entry = episode.metadata.get(FIELD)
    if not episode.id.startswith(_PREFIX) or not isinstance(entry, dict):
        return None
    key, value, created = entry.get("key"), entry.get("value"), entry.get("created_at")
    if not isinstance(key, str) or not isinstance(value, dict) or not isinstance(created, str):
        return None
    return Document(
        namespace=episode.namespace,
        key=key,
        value=value,
        version=int(episode.id.rsplit(":", 1)[1]),
        episode_id=episode.id,
        text=episode.content,
        created_at=datetime.fromisoformat(created),
        updated_at=episode.recorded_at,
        ended_at=episode.deleted_at,
        is_searchable=entry.get("searchable") is not False,
    )


class Documents:
    """Versioned JSON documents under keys, in a Memory's namespaces."""

    def __init__(self, memory: Memory) -> None:
        self.memory = memory

    def put(
        self,
        namespace: str,
        key: str,
        value: Mapping[str, JSONValue],
        *,
        text: str | None = None,
        searchable: bool = True,
        metadata: Mapping[str, JSONValue] | None = None,
    ) -> Document:
        """Store ``value`` as the key's new current version and return it.

        ``text`` is what search reads (default: the value's leaves, see
        ``render``); a document that is not ``searchable`` is found by key and
        listing only. ``metadata`` is kept beside the document on its episode.
        The version it replaces is kept, soft-deleted. Raises InvalidInput
        (nothing is stored), Conflict if other writers kept taking the key's
        next version.
        """
        namespace = validate.namespace(namespace)
        shown = render(value) if text is None else text
        checked = self.check(namespace, key, value, shown, metadata)
        extra = validate.metadata(metadata)
        stored: Episode | None = None
        for _ in range(_TRIES):
            versions = self._versions(namespace, key)
            current = _live(versions)
            at = now()
            entry: dict[str, JSONValue] = {
                "key": key,
                "value": checked,
                "created_at": (current.created_at if current else at).isoformat(),
                "searchable": searchable,
            }
            message = {
                "id": version_id(key, versions[-1].version + 1 if versions else 1),
                "content": shown if shown.strip() else f"key: {key}",
                "session_id": _PREFIX + _digest(key),  # its versions only: no neighbours
                "occurred_at": at,
                "metadata": {**extra, FIELD: entry},
            }
            try:
                added = self.memory.add([message], namespace=namespace)
            except Conflict:
                continue  # another writer stored this version number first
            if not added.already_present:  # else the same text was stored first: read again
                stored = added[0]
                break
        made = None if stored is None else document_of(stored)
        if made is None:
            raise Conflict("document", key, namespace, "key")
        for older in versions:
            if older.ended_at is None:
                self.memory.delete(older.episode_id, namespace=namespace)
        return made

    def check(
        self,
        namespace: str,
        key: str,
        value: Mapping[str, JSONValue],
        text: str,
        metadata: Mapping[str, JSONValue] | None = None,
    ) -> dict[str, JSONValue]:
        """Raise InvalidInput where ``put`` would refuse these; returns the value
        as it would be stored. For callers that check a batch before writing it."""
        validate.namespace(namespace)
        check_key(key)
        checked = validate.metadata(value, "value")
        extra = validate.metadata(metadata)
        if FIELD in extra:
            raise InvalidInput(f"{FIELD!r} is reserved", field="metadata")
        stamp = now().isoformat()
        entry = {"key": key, "value": checked, "created_at": stamp, "searchable": True}
        validate.metadata({**extra, FIELD: entry}, "value")  # the whole entry within the limit
        if text.strip():
            validate.text(text, "text", self.memory.settings.max_content_chars)
        return checked

    def get(self, namespace: str, key: str) -> Document | None:
        """The key's current version, or None when it has none (never put, or deleted)."""
        return _live(self._versions(validate.namespace(namespace), check_key(key)))

    def delete(self, namespace: str, key: str) -> Document | None:
        """Soft-delete the key's current version (it stays in ``history``); returns
        it, or None when there was none."""
        namespace = validate.namespace(namespace)
        current = self.get(namespace, key)
        if current is not None:
            self.memory.delete(current.episode_id, namespace=namespace)
        return current

    def history(self, namespace: str, key: str) -> list[Document]:
        """Every version of the key, oldest first, the replaced and deleted ones too."""
        return self._versions(validate.namespace(namespace), check_key(key))

    def current(self, namespace: str) -> Iterator[Document]:
        """The namespace's current documents, in the order their versions were stored."""
        where = validate.namespace(namespace)
        for episode in self.memory.store.episodes.with_id_prefix(where, _PREFIX, live_only=True):
            made = document_of(episode)
            if made is not None:
                yield made

    def has_any(self, namespace: str) -> bool:
        """Whether the namespace holds a current document."""
        where = validate.namespace(namespace)
        found = self.memory.store.episodes.with_id_prefix(where, _PREFIX, live_only=True, limit=1)
        return any(document_of(e) is not None for e in found)

    def of_episodes(self, namespace: str, episode_ids: Sequence[str]) -> list[Document]:
        """The live document versions among these episodes, in the order given."""
        found = self.memory.store.episodes.get(validate.namespace(namespace), episode_ids)
        made = [document_of(e) for e in found if not e.is_deleted]
        return [d for d in made if d is not None]

    def _versions(self, namespace: str, key: str) -> list[Document]:
        prefix = f"{_PREFIX}{_digest(key)}:"
        episodes = self.memory.store.episodes.with_id_prefix(namespace, prefix)
        made = [document_of(e) for e in episodes]
        return [d for d in made if d is not None and d.key == key]


def _live(versions: Sequence[Document]) -> Document | None:
    return versions[-1] if versions and versions[-1].ended_at is None else None


def check_key(key: object) -> str:
    """A document key: a non-empty string of at most 1,024 characters, no NUL."""
    if not isinstance(key, str) or not key or len(key) > _MAX_KEY_CHARS or "\x00" in key:
        raise InvalidInput(
            f"must be a non-empty string of at most {_MAX_KEY_CHARS} characters, no NUL",
            field="key",
        )
    return key
