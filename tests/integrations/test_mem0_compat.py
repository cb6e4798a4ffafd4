"""The mem0-compatible surface, checked against the behaviour mem0's documentation
shows for its open-source Memory (add, update, search, get_all, history), and
against what memstrata does differently: contradictions update, nothing is lost."""

from __future__ import annotations

import asyncio
import inspect

import pytest

from memstrata import InvalidInput
from memstrata import Memory as Engine
from memstrata.compat.mem0 import AsyncMemory, Memory

ITEM_KEYS = {"id", "memory", "hash", "metadata", "created_at", "updated_at", "user_id"}


@pytest.fixture
def m(memory: Engine) -> Memory:
    return Memory(memory)


def test_the_documented_walkthrough_add_update_search_get_all_history(m: Memory) -> None:
    added = m.add(
        "I am working on improving my tennis skills. Suggest some online courses.",
        user_id="alice",
        metadata={"category": "hobbies"},
    )
    (made,) = added["results"]
    assert made["event"] == "ADD" and "tennis" in made["memory"]
    said = m.update(memory_id=made["id"], data="Likes to play tennis on weekends")
    assert said == {"message": "Memory updated successfully!"}
    found = m.search("What are Alice's hobbies? tennis", filters={"user_id": "alice"})
    best = found["results"][0]
    assert best["memory"] == "Likes to play tennis on weekends" and 0 < best["score"] < 1
    assert set(best) >= ITEM_KEYS and best["metadata"] == {"category": "hobbies"}
    everything = m.get_all(filters={"user_id": "alice"})["results"]
    assert [i["id"] for i in everything] == [made["id"]]
    history = m.history(memory_id=made["id"])
    assert [h["event"] for h in history] == ["ADD", "UPDATE"]
    assert history[1]["old_memory"] == made["memory"]
    assert history[1]["new_memory"] == "Likes to play tennis on weekends"


def test_a_contradiction_updates_the_memory_instead_of_keeping_both(m: Memory) -> None:
    first = m.add([{"role": "user", "content": "I live in Paris."}], user_id="alice")
    (lives,) = first["results"]
    moved = m.add([{"role": "user", "content": "I moved to Lyon."}], user_id="alice")
    (update,) = moved["results"]
    assert update["id"] == lives["id"] and update["event"] == "UPDATE"
    assert "Lyon" in update["memory"] and "Paris" in update["previous_memory"]
    current = m.get_all(filters={"user_id": "alice"})["results"]
    assert len(current) == 1 and "Lyon" in current[0]["memory"]
    assert [h["event"] for h in m.history(lives["id"])] == ["ADD", "UPDATE"]


def test_a_fact_that_ends_deletes_its_memory(m: Memory) -> None:
    first = m.add([{"role": "user", "content": "I work at Acme Corp."}], user_id="u")
    (works,) = [r for r in first["results"] if "Acme" in r["memory"]]
    ended = m.add([{"role": "user", "content": "I quit my job at Acme Corp."}], user_id="u")
    gone = [r for r in ended["results"] if r["event"] == "DELETE"]
    assert gone == [{"id": works["id"], "memory": works["memory"], "event": "DELETE"}]
    assert m.get(works["id"]) is None
    assert [h["event"] for h in m.history(works["id"])] == ["ADD", "DELETE"]


def test_infer_keeps_the_conversation_and_makes_one_memory_a_fact(
    m: Memory, memory: Engine
) -> None:
    said = m.add(
        [
            {"role": "user", "content": "I live in Porto and I have a parrot called Kiwi."},
            {"role": "assistant", "content": "Porto is lovely. How old is Kiwi?"},
        ],
        user_id="bo",
        run_id="chat-1",
    )
    memories = {r["memory"] for r in said["results"]}
    assert len(memories) == 2 and any("Porto" in t for t in memories)
    assert any("Kiwi" in t for t in memories)
    log = [e.content for e in memory.store.episodes.iterate("mem0.u.bo.log", False)]
    assert log == [
        "I live in Porto and I have a parrot called Kiwi.",
        "Porto is lovely. How old is Kiwi?",
    ]
    run = m.get_all(filters={"user_id": "bo", "run_id": "chat-1"})["results"]
    assert len(run) == 2 and {i["run_id"] for i in run} == {"chat-1"}
    assert m.get_all(filters={"user_id": "bo", "run_id": "chat-2"})["results"] == []


def test_infer_false_stores_each_message_as_it_is(m: Memory) -> None:
    said = m.add(
        [
            {"role": "system", "content": "You are helpful."},
            {"role": "user", "content": "Call me Sam", "name": "sam"},
            {"role": "assistant", "content": "Sure, Sam."},
        ],
        agent_id="helper",
        infer=False,
    )
    assert [r["memory"] for r in said["results"]] == ["Call me Sam", "Sure, Sam."]
    got = m.get(said["results"][0]["id"])
    assert got is not None and got["role"] == "user" and got["actor_id"] == "sam"
    assert got["agent_id"] == "helper" and "user_id" not in got


def test_delete_is_soft_and_reported_in_history(m: Memory) -> None:
    (made,) = m.add("my locker code is 7781", user_id="alice", infer=False)["results"]
    assert m.delete(made["id"]) == {"message": "Memory deleted successfully!"}
    assert m.get(made["id"]) is None
    assert m.get_all(filters={"user_id": "alice"})["results"] == []
    assert [h["event"] for h in m.history(made["id"])] == ["ADD", "DELETE"]
    assert m.history(made["id"])[1]["is_deleted"] == 1
    with pytest.raises(ValueError, match="not found"):
        m.delete(made["id"])
    with pytest.raises(ValueError, match="not found"):
        m.update("no-such-id", "x")


def test_filters_scope_by_ids_and_match_metadata(m: Memory) -> None:
    m.add("likes oolong tea", user_id="alice", agent_id="a1", metadata={"n": 1}, infer=False)
    m.add("likes green tea", user_id="alice", agent_id="a2", metadata={"n": 5}, infer=False)
    m.add("likes black tea", agent_id="a1", metadata={"n": 9}, infer=False)

    def texts(filters: dict[str, object]) -> set[str]:
        return {r["memory"] for r in m.get_all(filters=filters)["results"]}

    assert texts({"user_id": "alice"}) == {"likes oolong tea", "likes green tea"}
    assert texts({"user_id": "alice", "agent_id": "a1"}) == {"likes oolong tea"}
    assert texts({"agent_id": "a1"}) == {"likes black tea"}  # no user: the agent's own
    assert texts({"user_id": "alice", "n": {"gte": 2}}) == {"likes green tea"}
    assert texts({"user_id": "alice", "n": {"in": [1, 9]}}) == {"likes oolong tea"}
    assert texts({"user_id": "alice", "agent_id": {"ne": "a1"}}) == {"likes green tea"}
    searched = m.search("tea", filters={"user_id": "alice", "n": 1})["results"]
    assert [r["memory"] for r in searched] == ["likes oolong tea"]
    assert len(m.search("tea", filters={"user_id": "alice"}, top_k=1)["results"]) == 1


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda m: m.add("x"), "user_id"),
        (lambda m: m.add("x", user_id="two words"), "user_id"),
        (lambda m: m.add([{"role": "user", "content": None}], user_id="u"), "content"),
        (
            lambda m: m.add([{"role": "user", "content": "x" * 70_000}], user_id="u", infer=False),
            "value",
        ),
        (lambda m: m.search("x", user_id="u"), "filters"),
        (lambda m: m.search("x", filters={}), "user_id"),
        (lambda m: m.search(" ", filters={"user_id": "u"}), "query"),
        (lambda m: m.get_all(filters={"user_id": "u", "OR": []}), "filters"),
        (lambda m: m.search("x", filters={"user_id": "u"}, top_k=-1), "top_k"),
        (lambda m: m.delete_all(), "user_id"),
    ],
)
def test_bad_input_is_refused_and_stores_nothing(
    m: Memory, memory: Engine, call: object, field: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        call(m)  # type: ignore[operator]
    assert field in str(raised.value)
    assert memory.namespaces() == []


def test_two_users_see_nothing_of_each_other(m: Memory) -> None:
    m.add("my bank PIN is 4417", user_id="ann", infer=False)
    m.add([{"role": "user", "content": "I live in Oslo."}], user_id="ann")
    m.add("I collect stamps", user_id="annie", infer=False)  # a longer name, not a prefix
    found = m.search("bank PIN Oslo", filters={"user_id": "annie"})["results"]
    assert [r["memory"] for r in found] == ["I collect stamps"]
    assert [r["user_id"] for r in m.get_all(filters={"user_id": "annie"})["results"]] == ["annie"]
    m.delete_all(user_id="annie")
    assert len(m.get_all(filters={"user_id": "ann"})["results"]) == 2


def test_reset_erases_every_memory_and_conversation(m: Memory, memory: Engine) -> None:
    memory.add("kept: not a mem0 memory", namespace="other")
    (made,) = m.add("x marks the spot", user_id="u", infer=False)["results"]
    m.add([{"role": "user", "content": "I live in Rome."}], user_id="u")
    m.reset()
    assert m.get(made["id"]) is None
    assert m.get_all(filters={"user_id": "u"})["results"] == []
    assert memory.namespaces() == ["other"]


def test_from_config_opens_a_store_and_ignores_mem0_providers(tmp_path: object) -> None:
    m = Memory.from_config({"path": f"{tmp_path}/m.db", "llm": {"provider": "openai"}})
    try:
        m.add("hello there", user_id="u", infer=False)
        assert len(m.get_all(filters={"user_id": "u"})["results"]) == 1
    finally:
        m.memory.close()


def test_async_memory_has_every_method_and_works(memory: Engine) -> None:
    public = {n for n in dir(Memory) if not n.startswith("_") and callable(getattr(Memory, n))}
    assert public <= {n for n in dir(AsyncMemory) if not n.startswith("_")}
    for name in public - {"from_config"}:
        assert inspect.iscoroutinefunction(getattr(AsyncMemory, name)), name
    m = AsyncMemory(memory)

    async def run() -> None:
        (made,) = (await m.add("I keep bees", user_id="u", infer=False))["results"]
        await m.update(made["id"], "I keep two hives of bees")
        found = await m.search("bees", filters={"user_id": "u"})
        assert [r["memory"] for r in found["results"]] == ["I keep two hives of bees"]
        assert [h["event"] for h in await m.history(made["id"])] == ["ADD", "UPDATE"]
        await m.delete_all(user_id="u")
        assert (await m.get_all(filters={"user_id": "u"}))["results"] == []

    asyncio.run(run())
