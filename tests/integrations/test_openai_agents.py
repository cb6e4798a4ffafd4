"""The OpenAI Agents SDK session over memstrata: the SDK's own protocol and item
types, and the SDK's runner driving a chat model served by a local replay server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from agents import Agent, OpenAIChatCompletionsModel, Runner, set_tracing_disabled
from agents.items import TResponseInputItem
from agents.memory import Session
from openai import AsyncOpenAI

from memstrata import InvalidInput, Memory
from memstrata.integrations.openai_agents import MemstrataSession, item_text, recall_tool
from tests.replay_server import ReplayServer

ITEMS: list[TResponseInputItem] = [
    {"role": "user", "content": "I moved to Lyon in May"},
    {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": "Lyon is lovely.", "annotations": []}],
    },
    {"type": "function_call", "call_id": "c1", "name": "weather", "arguments": '{"city":"Lyon"}'},
    {"type": "function_call_output", "call_id": "c1", "output": "sunny, 24 C"},
]


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


@pytest.fixture
def session(memory: Memory) -> MemstrataSession:
    return MemstrataSession("chat-1", memory, user_id="ana")


def test_it_is_an_agents_session(session: MemstrataSession) -> None:
    assert isinstance(session, Session)
    assert session.namespace == "agents.ana" and session.session_id == "chat-1"


def test_items_round_trip_in_order_and_latest_first_with_a_limit(
    session: MemstrataSession, memory: Memory
) -> None:
    run(session.add_items(ITEMS[:2]))
    run(session.add_items(ITEMS[2:]))
    assert run(session.get_items()) == ITEMS
    assert run(session.get_items(limit=2)) == ITEMS[2:]
    assert run(session.get_items(limit=0)) == []
    kept = list(memory.store.episodes.iterate("agents.ana", False))
    assert [e.session_id for e in kept] == ["chat-1"] * 4
    assert [e.content for e in kept] == [
        "I moved to Lyon in May",
        "Lyon is lovely.",
        'weather({"city":"Lyon"})',
        "sunny, 24 C",
    ]
    assert [e.role for e in kept] == ["user", "assistant", "assistant", "tool"]


def test_pop_and_clear_delete_softly(session: MemstrataSession, memory: Memory) -> None:
    run(session.add_items(ITEMS))
    assert run(session.pop_item()) == ITEMS[-1]
    assert run(session.get_items()) == ITEMS[:-1]
    run(session.clear_session())
    assert run(session.get_items()) == []
    assert run(session.pop_item()) is None
    every = list(memory.store.episodes.iterate("agents.ana", True))
    assert len(every) == 4 and all(e.is_deleted for e in every)


def test_a_large_item_is_kept_whole(session: MemstrataSession) -> None:
    big: TResponseInputItem = {
        "type": "function_call_output",
        "call_id": "c2",
        "output": "row " * 30_000,
    }
    run(session.add_items([big]))
    assert run(session.get_items()) == [big]


def test_bad_items_are_refused_and_nothing_is_stored(
    session: MemstrataSession, memory: Memory
) -> None:
    bad: list[Any] = [{"role": "user", "content": "fine"}, "not an item"]
    with pytest.raises(InvalidInput, match=r"items\[1\]"):
        run(session.add_items(bad))
    not_json: list[Any] = [{"role": "user", "content": "x", "n": float("nan")}]
    with pytest.raises(InvalidInput):
        run(session.add_items(not_json))
    with pytest.raises(InvalidInput):
        run(session.get_items(limit=-1))
    with pytest.raises(InvalidInput):
        MemstrataSession(" ", memory)
    assert memory.namespaces() == []


def test_sessions_of_two_users_and_two_chats_stay_apart(memory: Memory) -> None:
    ana_1 = MemstrataSession("chat-1", memory, user_id="ana")
    ana_2 = MemstrataSession("chat-2", memory, user_id="ana")
    anabel = MemstrataSession("chat-1", memory, user_id="anabel")
    run(ana_1.add_items([{"role": "user", "content": "my locker code is 7781"}]))
    run(ana_2.add_items([{"role": "user", "content": "I play the cello"}]))
    run(anabel.add_items([{"role": "user", "content": "I play chess"}]))
    assert run(anabel.get_items()) == [{"role": "user", "content": "I play chess"}]
    assert [h.text for h in anabel.recall("locker code cello")] == ["I play chess"]
    assert {h.text for h in ana_2.recall("locker code cello")} == {
        "my locker code is 7781",
        "I play the cello",
    }
    run(anabel.clear_session())
    assert len(run(ana_1.get_items())) == 1


def test_item_text_reads_each_kind() -> None:
    assert [item_text(i) for i in ITEMS] == [
        "I moved to Lyon in May",
        "Lyon is lovely.",
        'weather({"city":"Lyon"})',
        "sunny, 24 C",
    ]
    assert item_text({"type": "reasoning", "summary": []}) == "[reasoning]"


def _completion(message: dict[str, Any], reason: str) -> tuple[int, str]:
    body = {
        "id": "cmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": "local",
        "choices": [{"index": 0, "message": message, "finish_reason": reason}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 5, "total_tokens": 10},
    }
    return 200, json.dumps(body)


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    set_tracing_disabled(True)
    with ReplayServer().running() as running:
        yield running


def test_the_runner_keeps_a_run_in_the_session_and_recalls_other_sessions(
    memory: Memory, server: ReplayServer
) -> None:
    earlier = MemstrataSession("chat-0", memory, user_id="ana")
    run(earlier.add_items([{"role": "user", "content": "My sister Maya lives in Lyon."}]))
    call = {"id": "call_1", "type": "function", "function": {"name": "recall_memory"}}
    call["function"]["arguments"] = json.dumps({"query": "where does Maya live"})  # type: ignore[index]
    server.script.append(_completion({"role": "assistant", "tool_calls": [call]}, "tool_calls"))
    server.script.append(
        _completion({"role": "assistant", "content": "Maya lives in Lyon."}, "stop")
    )
    client = AsyncOpenAI(base_url=server.url, api_key="test")
    agent = Agent(
        name="helper",
        instructions="Answer from memory.",
        model=OpenAIChatCompletionsModel(model="local", openai_client=client),
        tools=[recall_tool(memory, user_id="ana")],
    )
    session = MemstrataSession("chat-1", memory, user_id="ana")
    result = Runner.run_sync(agent, "Where does my sister live?", session=session)
    assert result.final_output == "Maya lives in Lyon."
    items = run(session.get_items())
    assert items[0] == {"role": "user", "content": "Where does my sister live?"}
    assert [i.get("type") for i in items[1:]] == [
        "function_call",
        "function_call_output",
        "message",
    ]
    assert "My sister Maya lives in Lyon." in str(items[2].get("output"))
    sent = server.requests[1]["body"]["messages"]
    assert any("Maya lives in Lyon" in str(m.get("content")) for m in sent)
