"""The LangGraph store over memstrata, driven through langgraph's own types,
a compiled graph, and langmem's memory tools."""

from __future__ import annotations

import asyncio
from typing import TypedDict

import pytest
from hypothesis import given
from hypothesis import strategies as st
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.store.base import (
    GetOp,
    InvalidNamespaceError,
    Item,
    ListNamespacesOp,
    MatchCondition,
    PutOp,
    SearchItem,
    SearchOp,
)

from memstrata import InvalidInput, Memory
from memstrata.documents import Documents
from memstrata.integrations.langgraph import MemstrataStore, decode, encode


@pytest.fixture
def store(memory: Memory) -> MemstrataStore:
    return MemstrataStore(memory)


def test_put_then_get_returns_langgraph_items(store: MemstrataStore) -> None:
    store.put(("users", "ana"), "prefs", {"food": "ramen", "spice": 3})
    item = store.get(("users", "ana"), "prefs")
    assert isinstance(item, Item)
    assert item.value == {"food": "ramen", "spice": 3}
    assert item.namespace == ("users", "ana") and item.key == "prefs"
    assert store.get(("users", "ana"), "other") is None
    assert store.get(("users", "bo"), "prefs") is None


def test_a_put_on_a_key_supersedes_and_keeps_the_old_version(
    store: MemstrataStore, memory: Memory
) -> None:
    store.put(("users", "ana"), "home", {"city": "Lyon"})
    first = store.get(("users", "ana"), "home")
    store.put(("users", "ana"), "home", {"city": "Porto"})
    now = store.get(("users", "ana"), "home")
    assert first is not None and now is not None
    assert now.value == {"city": "Porto"}
    assert now.created_at == first.created_at and now.updated_at > first.updated_at
    versions = Documents(memory).history("lg.users.ana", "home")
    assert [v.value["city"] for v in versions] == ["Lyon", "Porto"]
    assert versions[0].ended_at is not None and versions[1].ended_at is None
    found = store.search(("users",), query="city Lyon Porto")
    assert [i.value for i in found] == [{"city": "Porto"}]


def test_delete_is_soft_and_a_later_put_starts_a_new_life(
    store: MemstrataStore, memory: Memory
) -> None:
    store.put(("users", "ana"), "pet", {"name": "Rex"})
    store.delete(("users", "ana"), "pet")
    assert store.get(("users", "ana"), "pet") is None
    assert store.search(("users", "ana"), query="Rex") == []
    assert store.list_namespaces() == []
    history = Documents(memory).history("lg.users.ana", "pet")
    assert [v.value for v in history] == [{"name": "Rex"}] and history[0].ended_at is not None
    store.put(("users", "ana"), "pet", {"name": "Max"})
    again = store.get(("users", "ana"), "pet")
    assert again is not None and again.created_at > history[0].created_at
    store.delete(("users", "ana"), "never-put")  # nothing to delete is not an error


def test_search_by_query_is_recall_within_the_prefix(store: MemstrataStore) -> None:
    store.put(("memories", "ana"), "1", {"text": "I adopted a greyhound called Biscuit"})
    store.put(("memories", "ana"), "2", {"text": "My sister works at a bakery in Lyon"})
    store.put(("memories", "ana"), "3", {"text": "Biscuit hates the rain"})
    found = store.search(("memories", "ana"), query="greyhound Biscuit", limit=2)
    assert all(isinstance(i, SearchItem) and i.score is not None for i in found)
    assert found[0].key == "1" and len(found) == 2
    assert {i.key for i in found} == {"1", "3"}
    page = store.search(("memories", "ana"), query="greyhound Biscuit", limit=1, offset=1)
    assert [i.key for i in page] == [found[1].key]


def test_filters_take_values_nested_objects_and_the_operators(store: MemstrataStore) -> None:
    namespace = ("docs",)
    store.put(namespace, "a", {"kind": "report", "score": 4.5, "meta": {"lang": "en"}})
    store.put(namespace, "b", {"kind": "memo", "score": 2, "meta": {"lang": "fr"}})
    store.put(namespace, "c", {"kind": "report", "score": 3, "meta": {"lang": "fr"}})

    def keys(conditions: dict[str, object]) -> set[str]:
        return {i.key for i in store.search(namespace, filter=conditions)}

    assert keys({"kind": "report"}) == {"a", "c"}
    assert keys({"kind": {"$eq": "memo"}}) == {"b"}
    assert keys({"kind": {"$ne": "memo"}}) == {"a", "c"}
    assert keys({"score": {"$gt": 3}}) == {"a"}
    assert keys({"score": {"$gte": 3}}) == {"a", "c"}
    assert keys({"score": {"$lt": 3}}) == {"b"}
    assert keys({"score": {"$lte": 3, "$gt": 2}}) == {"c"}
    assert keys({"meta": {"lang": "fr"}, "kind": "report"}) == {"c"}
    assert keys({"missing": {"$gt": 1}}) == set()
    assert keys({"kind": "report", "score": {"$gt": 4}}) == {"a"}
    queried = store.search(namespace, query="report", filter={"meta": {"lang": "fr"}})
    assert queried[0].key == "c" and {i.key for i in queried} <= {"b", "c"}
    with pytest.raises(ValueError, match="Unsupported operator"):
        store.search(namespace, filter={"score": {"$in": [1, 2]}})
    listed = store.search(namespace)  # no query: newest first, no score
    assert [i.key for i in listed] == ["c", "b", "a"] and {i.score for i in listed} == {None}


def test_list_namespaces_matches_whole_labels(store: MemstrataStore) -> None:
    for namespace in [("a", "x"), ("ab", "x"), ("a", "y", "z"), ("b", "x")]:
        store.put(namespace, "k", {"v": 1})
    assert store.list_namespaces(prefix=("a",)) == [("a", "x"), ("a", "y", "z")]
    assert store.list_namespaces(suffix=("x",)) == [("a", "x"), ("ab", "x"), ("b", "x")]
    assert store.list_namespaces(prefix=("*", "x")) == [("a", "x"), ("ab", "x"), ("b", "x")]
    assert store.list_namespaces(prefix=("a",), suffix=("z",)) == [("a", "y", "z")]
    assert store.list_namespaces(max_depth=1) == [("a",), ("ab",), ("b",)]
    assert store.list_namespaces(limit=2, offset=1) == [("a", "y", "z"), ("ab", "x")]
    assert [i.namespace for i in store.search(("a",))] == [("a", "y", "z"), ("a", "x")]


def test_reads_in_a_batch_see_the_store_before_it_and_the_last_write_wins(
    store: MemstrataStore,
) -> None:
    store.put(("n",), "k", {"v": 0})
    results = store.batch(
        [
            PutOp(("n",), "k", {"v": 1}),
            GetOp(("n",), "k"),
            PutOp(("n",), "k", {"v": 2}),
            SearchOp(("n",), filter={"v": 0}),
            ListNamespacesOp(match_conditions=(MatchCondition("prefix", ("n",)),)),
        ]
    )
    got, listed = results[1], results[3]
    assert isinstance(got, Item) and got.value == {"v": 0}
    assert isinstance(listed, list) and [getattr(i, "key", None) for i in listed] == ["k"]
    assert results[4] == [("n",)] and results[0] is None and results[2] is None
    now = store.get(("n",), "k")
    assert now is not None and now.value == {"v": 2}


@pytest.mark.parametrize(
    "bad",
    [
        PutOp(("ok",), "k2", {"v": float("nan")}),
        PutOp(("ok",), "k2", {"v": object()}),
        PutOp(("ok",), "", {"v": 1}),
        PutOp(("ok",), "k2", {"v": "x" * 70_000}),
        PutOp(("bad.label",), "k2", {"v": 1}),
        PutOp((), "k2", {"v": 1}),
        PutOp(("x" * 200,), "k2", {"v": 1}),
        PutOp(("ok",), "k2", {"v": 1}, ttl=5.0),
    ],
)
def test_a_bad_operation_fails_the_batch_and_nothing_is_stored(
    store: MemstrataStore, memory: Memory, bad: PutOp
) -> None:
    with pytest.raises((InvalidInput, InvalidNamespaceError, NotImplementedError)):
        store.batch([PutOp(("ok",), "k1", {"v": 1}), bad])
    assert store.get(("ok",), "k1") is None
    assert memory.namespaces() == []


def test_ttl_and_foreign_index_options_are_refused_clearly(memory: Memory) -> None:
    store = MemstrataStore(memory)
    with pytest.raises(NotImplementedError, match="TTL is not supported"):
        store.put(("n",), "k", {"v": 1}, ttl=10)
    with pytest.raises(ValueError, match="own model"):
        MemstrataStore(memory, index={"dims": 8, "embed": "openai:text-embedding-3-small"})


def test_index_fields_choose_what_search_reads(memory: Memory) -> None:
    store = MemstrataStore(memory, index={"fields": ["summary"]})
    store.put(("n",), "a", {"summary": "a trip to Kyoto", "body": "umbrella umbrella"})
    store.put(("n",), "b", {"summary": "umbrella repair", "body": "Kyoto"}, index=["body"])
    store.put(("n",), "c", {"summary": "Kyoto umbrella"}, index=False)
    docs = Documents(memory)
    texts = {k: getattr(docs.get("lg.n", k), "text", None) for k in "abc"}
    assert texts["a"] == "a trip to Kyoto" and texts["b"] == "Kyoto"
    assert {i.key for i in store.search(("n",), query="Kyoto umbrella")} <= {"a", "b"}
    assert {i.key for i in store.search(("n",))} == {"a", "b", "c"}  # found by listing


def test_the_async_twins_work(store: MemstrataStore) -> None:
    async def run() -> None:
        await store.aput(("users", "ana"), "k", {"text": "likes jazz"})
        item = await store.aget(("users", "ana"), "k")
        assert item is not None and item.value == {"text": "likes jazz"}
        found = await store.asearch(("users",), query="jazz")
        assert [i.key for i in found] == ["k"]
        assert await store.alist_namespaces() == [("users", "ana")]
        await store.adelete(("users", "ana"), "k")
        assert await store.aget(("users", "ana"), "k") is None

    asyncio.run(run())


def test_two_tenants_see_nothing_of_each_other(store: MemstrataStore) -> None:
    a, b = ("tenant", "a"), ("tenant", "ab")  # a's label is a string prefix of b's
    store.put(a, "secret", {"text": "the vault code is 4417"})
    store.put((*a, "notes"), "n", {"text": "vault inspection on Friday"})
    store.put(b, "own", {"text": "B keeps a vault of old records"})
    assert store.get(b, "secret") is None
    for found in (store.search(b, query="vault code 4417"), store.search(b)):
        assert [(i.namespace, i.key) for i in found] == [(b, "own")]
    assert store.list_namespaces(prefix=b) == [b]
    assert all(i.namespace[:2] == a for i in store.search(a, query="vault"))
    assert store.list_namespaces(prefix=a) == [a, (*a, "notes")]
    store.delete(b, "secret")  # B deleting A's key touches nothing of A's
    store.put(b, "secret", {"text": "B's secret"})
    item = store.get(a, "secret")
    assert item is not None and item.value == {"text": "the vault code is 4417"}


labels = st.text(min_size=1, max_size=12).filter(lambda s: "." not in s and "\x00" not in s)


@given(st.lists(labels, min_size=1, max_size=4))
def test_namespace_names_round_trip_and_stay_valid(namespace: list[str]) -> None:
    try:
        name = encode("lg", tuple(namespace))
    except InvalidNamespaceError:
        return  # too long for a memstrata name
    assert decode("lg", name) == tuple(namespace)
    assert name.split(".")[0] == "lg" and len(name.split(".")) == len(namespace) + 1


def test_a_compiled_graph_reads_and_writes_through_the_store(store: MemstrataStore) -> None:
    class State(TypedDict):
        user: str
        said: str
        recalled: list[str]

    def remember(state: State, runtime: Runtime[None]) -> dict[str, object]:
        assert runtime.store is not None
        runtime.store.put(("memories", state["user"]), "home", {"text": state["said"]})
        return {}

    def recall(state: State, runtime: Runtime[None]) -> dict[str, object]:
        assert runtime.store is not None
        found = runtime.store.search(("memories", state["user"]), query="where do I live?")
        return {"recalled": [i.value["text"] for i in found]}

    graph = StateGraph(State)
    graph.add_node("remember", remember)
    graph.add_node("recall", recall)
    graph.add_edge(START, "remember")
    graph.add_edge("remember", "recall")
    graph.add_edge("recall", END)
    app = graph.compile(store=store)
    out = app.invoke({"user": "ana", "said": "I live in Lyon", "recalled": []})
    assert out["recalled"] == ["I live in Lyon"]
    assert store.get(("memories", "bo"), "home") is None


def test_langmem_memory_tools_manage_and_search_memories(store: MemstrataStore) -> None:
    langmem = pytest.importorskip("langmem")
    manage = langmem.create_manage_memory_tool(namespace=("memories", "bo"), store=store)
    search = langmem.create_search_memory_tool(namespace=("memories", "bo"), store=store)
    said = manage.invoke({"content": "Bo prefers green tea", "action": "create"})
    memory_id = said.rsplit(" ", 1)[1]
    found = search.invoke({"query": "green tea"})
    assert "Bo prefers green tea" in found and memory_id in found
    manage.invoke({"content": "Bo prefers rooibos now", "action": "update", "id": memory_id})
    item = store.get(("memories", "bo"), memory_id)
    assert item is not None and item.value == {"content": "Bo prefers rooibos now"}
    manage.invoke({"action": "delete", "id": memory_id})
    assert store.get(("memories", "bo"), memory_id) is None
