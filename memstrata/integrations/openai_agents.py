"""memstrata as an OpenAI Agents SDK ``Session``, and a recall tool across a
user's sessions.

>>> from agents import Agent, Runner                               # doctest: +SKIP
>>> from memstrata.integrations.openai_agents import MemstrataSession, recall_tool
>>> session = MemstrataSession("chat-42", memory, user_id="ana")    # doctest: +SKIP
>>> agent = Agent("helper", tools=[recall_tool(memory, user_id="ana")])  # doctest: +SKIP
>>> Runner.run_sync(agent, "What did I say about Lyon?", session=session)  # doctest: +SKIP

Every item the runner hands over is an episode of the session: the item
itself is kept exactly (in the episode's metadata, or as its content when it
is too large for metadata) and its text (message text, a call's name and
arguments, a tool's output) is what memstrata indexes and extracts. A user's
sessions share one namespace (``agents.<user>``), so ``recall_tool`` and
``MemstrataSession.recall`` search all of them; ``pop_item`` and
``clear_session`` delete softly.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any, cast

from memstrata import validate
from memstrata.errors import InvalidInput, MissingDependency
from memstrata.integrations.names import escape
from memstrata.memory import Memory
from memstrata.model import Episode, Hit, JSONValue

try:
    from agents import FunctionTool, function_tool
    from agents.items import TResponseInputItem
    from agents.memory import SessionSettings
except ImportError as exc:  # pragma: no cover - the extra is missing
    raise MissingDependency("openai-agents") from exc

FIELD = "agents_item"  # the metadata entry holding an item
_IN_CONTENT = "agents_item_in_content"  # set where the item is the episode's content
_ALL = 1_000_000_000  # "every item" as a SQL limit
_METADATA_ROOM = 60 * 1024  # what an item may take of the 64 KiB metadata bound


def user_namespace(user_id: str) -> str:
    """The namespace a user's sessions share."""
    return validate.namespace(f"agents.{escape(user_id)}", "user_id")


def item_text(item: Mapping[str, Any]) -> str:
    """What search reads of an item: its text, a call's name and arguments, or
    a tool's output; ``[type]`` for an item with no text."""
    content = item.get("content")
    if isinstance(content, str):
        return content
    parts = [p.get("text") for p in content or [] if isinstance(p, Mapping)]
    if item.get("type") == "function_call":
        parts.append(f"{item.get('name')}({item.get('arguments', '')})")
    output = item.get("output")
    parts.append(output if isinstance(output, str) else None)
    parts += [s.get("text") for s in item.get("summary") or [] if isinstance(s, Mapping)]
    text = "\n".join(p for p in parts if isinstance(p, str) and p.strip())
    return text or f"[{item.get('type', 'item')}]"


def _role(item: Mapping[str, Any]) -> str:
    role = item.get("role")
    if isinstance(role, str):
        return role
    kind = str(item.get("type", ""))
    return "tool" if kind.endswith("_output") else "assistant"


def _message(item: Mapping[str, Any], session_id: str) -> dict[str, Any]:
    encoded = json.dumps(item, ensure_ascii=False, allow_nan=False)
    small = len(encoded.encode("utf-8")) <= _METADATA_ROOM
    return {
        "content": item_text(item) if small else encoded,
        "role": _role(item),
        "session_id": session_id,
        "metadata": {FIELD: cast(JSONValue, dict(item))} if small else {_IN_CONTENT: True},
    }


def _item(episode: Episode) -> TResponseInputItem:
    if episode.metadata.get(_IN_CONTENT):
        return cast(TResponseInputItem, json.loads(episode.content))
    return cast(TResponseInputItem, episode.metadata[FIELD])


class MemstrataSession:
    """A conversation's items, kept as memstrata episodes of one session.

    ``user_id`` puts the session in that user's namespace (all of a user's
    sessions can then be recalled together); ``namespace`` names one
    directly; with neither, the Memory's default namespace holds it. Raises
    InvalidInput for a bad id or both options.
    """

    session_settings: SessionSettings | None = None

    def __init__(
        self,
        session_id: str,
        memory: Memory,
        *,
        user_id: str | None = None,
        namespace: str | None = None,
    ) -> None:
        if user_id is not None and namespace is not None:
            raise InvalidInput("give user_id or namespace, not both", field="namespace")
        self.session_id = validate.identifier(session_id, "session_id")
        self.memory = memory
        chosen = user_namespace(user_id) if user_id is not None else namespace
        self.namespace = validate.namespace(chosen or memory.settings.namespace)

    async def get_items(self, limit: int | None = None) -> list[TResponseInputItem]:
        """The session's items in order; with ``limit``, its latest ``limit`` of them."""
        if limit is not None:
            validate.count(limit, 0, _ALL, "limit")
            if limit == 0:
                return []
        episodes = await asyncio.to_thread(self._episodes, limit or _ALL)
        return [_item(e) for e in episodes]

    async def add_items(self, items: list[TResponseInputItem]) -> None:
        """Keep the items, in order, as episodes of the session (all or none)."""
        if not items:
            return
        messages = []
        for n, item in enumerate(items):
            if not isinstance(item, Mapping):
                raise InvalidInput("must be a response input item (a mapping)", field=f"items[{n}]")
            try:
                messages.append(_message(item, self.session_id))
            except (TypeError, ValueError) as exc:
                raise InvalidInput(f"must be JSON ({exc})", field=f"items[{n}]") from exc
        await asyncio.to_thread(self.memory.add, messages, namespace=self.namespace)

    async def pop_item(self) -> TResponseInputItem | None:
        """Remove the latest item (a soft delete) and return it; None when empty."""
        return await asyncio.to_thread(self._pop)

    async def clear_session(self) -> None:
        """Remove every item of the session (soft deletes: the store keeps them)."""
        await asyncio.to_thread(self._clear)

    def recall(self, query: str, *, limit: int = 5) -> list[Hit]:
        """What this user's sessions (this one included) hold about ``query``."""
        return self.memory.search(query, namespace=self.namespace, limit=limit)

    def _episodes(self, limit: int) -> list[Episode]:
        return self.memory.store.episodes.latest(self.namespace, self.session_id, limit)

    def _pop(self) -> TResponseInputItem | None:
        latest = self._episodes(1)
        if not latest:
            return None
        self.memory.delete(latest[0].id, namespace=self.namespace)
        return _item(latest[0])

    def _clear(self) -> None:
        for episode in self._episodes(_ALL):
            self.memory.delete(episode.id, namespace=self.namespace)


def recall_tool(
    memory: Memory,
    *,
    user_id: str | None = None,
    namespace: str | None = None,
    limit: int = 5,
    name: str = "recall_memory",
) -> FunctionTool:
    """A function tool an agent calls to search every session of a user (or a
    namespace) for what was said before; it answers dated lines, best first."""
    if user_id is not None and namespace is not None:
        raise InvalidInput("give user_id or namespace, not both", field="namespace")
    chosen = user_namespace(user_id) if user_id is not None else namespace
    where = validate.namespace(chosen or memory.settings.namespace)
    count = validate.limit(limit, memory.settings.max_limit)

    def recall_memory(query: str) -> str:
        """Search what this user said in earlier conversations.

        Args:
            query: What to look for, in a few words or a question.
        """
        hits = memory.search(query, namespace=where, limit=count)
        if not hits:
            return "Nothing in memory about that."
        return "\n".join(f"[{h.occurred_at:%Y-%m-%d %H:%M}] {h.text}" for h in hits)

    return function_tool(recall_memory, name_override=name)


__all__ = ["MemstrataSession", "item_text", "recall_tool", "user_namespace"]
