"""The reference memory server's tool set over memstrata (``mcp --tools graph``),
driven by the MCP SDK's own client: in process on both backends, and over stdio."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters

from memstrata import InvalidInput, Memory
from memstrata.documents import Documents
from memstrata.mcp.server import build_server

GRAPH_TOOLS = {
    "create_entities",
    "create_relations",
    "add_observations",
    "delete_entities",
    "delete_observations",
    "delete_relations",
    "read_graph",
    "search_nodes",
    "open_nodes",
}
ANA = {"name": "Ana", "entityType": "person", "observations": ["Speaks fluent Spanish"]}
ACME = {"name": "Acme", "entityType": "organization", "observations": []}
WORKS = {"from": "Ana", "to": "Acme", "relationType": "works_at"}

Call = Callable[[str, dict[str, Any]], Awaitable[Any]]


def answer(result: Any) -> Any:
    assert not result.is_error, result
    text = str(result.content[0].text)
    return json.loads(text) if text[:1] in "[{" else text


def with_client(memory: Memory, namespace: str, body: Callable[[Call], Awaitable[None]]) -> None:
    server = build_server(memory, namespace, tools="graph")

    async def session() -> None:
        async with Client(server) as client:

            async def call(name: str, arguments: dict[str, Any]) -> Any:
                return await client.call_tool(name, arguments)

            await body(call)

    asyncio.run(session())


def test_entities_relations_and_observations_round_trip(memory: Memory) -> None:
    async def body(call: Call) -> None:
        made = answer(await call("create_entities", {"entities": [ANA, ACME, ANA]}))
        assert made == [ANA, ACME]
        assert answer(await call("create_entities", {"entities": [ANA]})) == []
        assert answer(await call("create_relations", {"relations": [WORKS, WORKS]})) == [WORKS]
        added = answer(
            await call(
                "add_observations",
                {
                    "observations": [
                        {
                            "entityName": "Ana",
                            "contents": ["Lives in Lyon", "Speaks fluent Spanish"],
                        }
                    ]
                },
            )
        )
        assert added == [{"entityName": "Ana", "addedObservations": ["Lives in Lyon"]}]
        graph = answer(await call("read_graph", {}))
        assert graph["relations"] == [WORKS]
        ana = next(e for e in graph["entities"] if e["name"] == "Ana")
        assert ana["observations"] == ["Speaks fluent Spanish", "Lives in Lyon"]
        said = await call(
            "delete_observations",
            {"deletions": [{"entityName": "Ana", "observations": ["Speaks fluent Spanish"]}]},
        )
        assert answer(said) == "Observations deleted successfully"
        opened = answer(await call("open_nodes", {"names": ["Ana", "Acme", "Nobody"]}))
        assert [e["name"] for e in opened["entities"]] == ["Acme", "Ana"]
        assert opened["entities"][1]["observations"] == ["Lives in Lyon"]
        assert opened["relations"] == [WORKS]
        only_ana = answer(await call("open_nodes", {"names": ["Ana"]}))
        assert only_ana["relations"] == []  # a relation shows when both its ends do

    with_client(memory, "graph-1", body)


def test_search_nodes_matches_substrings_and_shared_words(memory: Memory) -> None:
    async def body(call: Call) -> None:
        bo = {"name": "Bo", "entityType": "person", "observations": ["Is learning to paint"]}
        await call("create_entities", {"entities": [ANA, ACME, bo]})
        await call("create_relations", {"relations": [WORKS]})
        found = answer(await call("search_nodes", {"query": "spanish"}))
        assert [e["name"] for e in found["entities"]] == ["Ana"]
        by_type = answer(await call("search_nodes", {"query": "organ"}))
        assert [e["name"] for e in by_type["entities"]] == ["Acme"]
        stemmed = answer(await call("search_nodes", {"query": "painting"}))  # no substring
        assert [e["name"] for e in stemmed["entities"]] == ["Bo"]
        both = answer(await call("search_nodes", {"query": "a"}))
        assert both["relations"] == [WORKS]

    with_client(memory, "graph-2", body)


def test_deletes_are_soft_and_cascade_to_relations(memory: Memory) -> None:
    async def body(call: Call) -> None:
        await call("create_entities", {"entities": [ANA, ACME]})
        await call("create_relations", {"relations": [WORKS]})
        assert answer(await call("delete_relations", {"relations": [WORKS]})) == (
            "Relations deleted successfully"
        )
        assert answer(await call("read_graph", {}))["relations"] == []
        await call("create_relations", {"relations": [WORKS]})
        said = answer(await call("delete_entities", {"entityNames": ["Ana", "Ghost"]}))
        assert said == "Entities deleted successfully"
        graph = answer(await call("read_graph", {}))
        assert [e["name"] for e in graph["entities"]] == ["Acme"] and graph["relations"] == []

    with_client(memory, "graph-3", body)
    history = Documents(memory).history("graph-3", "entity:Ana")
    assert len(history) == 1 and history[0].ended_at is not None  # kept, not erased


def test_bad_input_is_a_tool_error_and_stores_nothing(memory: Memory) -> None:
    async def body(call: Call) -> None:
        missing = await call(
            "add_observations",
            {
                "observations": [
                    {"entityName": "Ana", "contents": ["x"]},
                    {"entityName": "Nobody", "contents": ["y"]},
                ]
            },
        )
        assert missing.is_error and "not_found" in str(missing.content[0].text)
        blank = await call("create_entities", {"entities": [ANA, {**ACME, "name": " "}]})
        assert blank.is_error and "invalid_input" in str(blank.content[0].text)
        extra = await call("read_graph", {"limit": 3})
        assert extra.is_error
        shape = await call("create_entities", {"entities": [{"name": "X"}]})
        assert shape.is_error

    memory.add("before the graph", namespace="graph-4")
    with_client(memory, "graph-4", body)
    assert [d.key for d in Documents(memory).current("graph-4")] == []


def test_two_namespaces_share_nothing(memory: Memory) -> None:
    async def fill(call: Call) -> None:
        await call("create_entities", {"entities": [ANA]})

    async def look(call: Call) -> None:
        assert answer(await call("read_graph", {})) == {"entities": [], "relations": []}
        assert answer(await call("search_nodes", {"query": "Spanish"}))["entities"] == []
        assert answer(await call("open_nodes", {"names": ["Ana"]}))["entities"] == []
        await call("delete_entities", {"entityNames": ["Ana"]})

    with_client(memory, "tenant-a", fill)
    with_client(memory, "tenant-ab", look)
    assert Documents(memory).get("tenant-a", "entity:Ana") is not None


def test_the_graph_shows_what_memstrata_learnt_and_deletes_hide_it(memory: Memory) -> None:
    memory.add(
        ["I moved to Lyon last spring.", "My sister Maya works at Acme."],
        speaker="Ana",
        namespace="learnt",
    )
    lives = {"from": "Ana", "to": "Lyon", "relationType": "lives_in"}
    works = {"from": "Maya", "to": "Acme", "relationType": "works_at"}

    async def body(call: Call) -> None:
        graph = answer(await call("read_graph", {}))
        names = {e["name"]: e for e in graph["entities"]}
        assert {"Ana", "Lyon", "Maya", "Acme"} <= set(names)
        assert names["Ana"]["entityType"] == "person"
        assert any("Lyon" in o for o in names["Ana"]["observations"])
        assert lives in graph["relations"] and works in graph["relations"]
        assert answer(await call("create_entities", {"entities": [{**ANA, "name": "Ana"}]})) == []
        added = answer(
            await call(
                "add_observations",
                {"observations": [{"entityName": "Ana", "contents": ["Plays the cello"]}]},
            )
        )
        assert added == [{"entityName": "Ana", "addedObservations": ["Plays the cello"]}]
        ana = answer(await call("open_nodes", {"names": ["Ana", "Lyon"]}))
        assert ana["relations"] == [lives]
        assert ana["entities"][0]["observations"][0] == "Plays the cello"  # the client's first
        await call("delete_relations", {"relations": [lives]})
        await call("delete_entities", {"entityNames": ["Maya"]})
        learnt_note = next(o for o in names["Ana"]["observations"] if "Lyon" in o)
        await call(
            "delete_observations",
            {"deletions": [{"entityName": "Ana", "observations": [learnt_note]}]},
        )
        after = answer(await call("read_graph", {}))
        assert lives not in after["relations"] and works not in after["relations"]
        assert "Maya" not in {e["name"] for e in after["entities"]}
        ana_after = next(e for e in after["entities"] if e["name"] == "Ana")
        assert learnt_note not in ana_after["observations"]
        assert "Plays the cello" in ana_after["observations"]
        found = answer(await call("search_nodes", {"query": "Acme"}))  # Ana: "sister ... Acme"
        assert {e["name"] for e in found["entities"]} == {"Ana", "Acme"}

    with_client(memory, "learnt", body)
    kept = {(f.subject, f.predicate, f.object) for f in memory.facts(namespace="learnt")}
    assert ("Ana", "lives_in", "Lyon") in kept and ("Maya", "works_at", "Acme") in kept


def test_an_unknown_tool_set_is_refused(memory: Memory) -> None:
    with pytest.raises(InvalidInput, match="tools"):
        build_server(memory, tools="neo4j")  # type: ignore[arg-type]


def test_a_client_switches_by_changing_only_the_command(tmp_path: Path) -> None:
    command = [
        "-m", "memstrata", "--db", str(tmp_path / "m.db"), "--namespace", "kg",
        "--embedder", "hash", "mcp", "--tools", "graph",
    ]  # fmt: skip

    async def session() -> None:
        async with Client(StdioServerParameters(command=sys.executable, args=command)) as client:
            tools = {t.name for t in (await client.list_tools()).tools}
            assert tools == GRAPH_TOOLS
            await client.call_tool("create_entities", {"entities": [ANA]})
            found = answer(await client.call_tool("search_nodes", {"query": "Spanish"}))
            assert found["entities"] == [ANA]

    asyncio.run(session())
