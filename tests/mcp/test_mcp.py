"""The MCP server end to end with the SDK's own client: over stdio (a real
subprocess) and in process."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from mcp import Client, StdioServerParameters

import memstrata
from memstrata import Memory
from memstrata.mcp.server import build_server
from memstrata.testing import HashEmbedder


def text_of(result: Any) -> str:
    assert not result.is_error, result
    return str(result.content[0].text)


def test_an_agent_remembers_recalls_and_reads_the_profile_over_stdio(tmp_path: Path) -> None:
    command = [
        "-m", "memstrata", "--db", str(tmp_path / "m.db"), "--namespace", "agent-1",
        "--embedder", "hash", "mcp",
    ]  # fmt: skip

    async def session() -> None:
        async with Client(StdioServerParameters(command=sys.executable, args=command)) as client:
            tools = {t.name for t in (await client.list_tools()).tools}
            assert {"remember", "recall", "forget", "get_profile", "context"} <= tools
            said = await client.call_tool(
                "remember", {"content": "I moved to Lyon last spring.", "speaker": "Ana"}
            )
            (episode_id,) = json.loads(text_of(said))
            hits = json.loads(text_of(await client.call_tool("recall", {"query": "Lyon"})))
            assert hits[0]["id"] == episode_id and "Lyon" in hits[0]["text"]
            profile = json.loads(text_of(await client.call_tool("get_profile", {})))
            assert any(line["statement"] == "Ana lives in Lyon" for line in profile["lines"])
            block = json.loads(
                text_of(await client.call_tool("context", {"query": "where does Ana live"}))
            )
            assert "```memory" in block["text"] and "Lyon" in block["text"]
            assert block["refs"][-1]["id"] == episode_id and block["tokens"] <= 1000
            bad = await client.call_tool("recall", {"query": "", "limit": 5})
            assert bad.is_error and "invalid_input" in str(getattr(bad.content[0], "text", ""))

    asyncio.run(session())
    with Memory(tmp_path / "m.db", embedder=HashEmbedder()) as memory:
        assert memory.namespaces() == ["agent-1"]  # nothing outside the server's namespace


def test_forget_and_consolidate_tools_in_process(tmp_path: Path) -> None:
    with Memory(tmp_path / "m.db", embedder=HashEmbedder(), namespace="agent-2") as memory:
        server = build_server(memory)

        async def session() -> None:
            async with Client(server) as client:
                await client.call_tool(
                    "remember",
                    {"content": "I really enjoy jazz concerts on Fridays.", "speaker": "Ana"},
                )
                (note,) = memory.notes()
                gone = json.loads(text_of(await client.call_tool("forget", {"ids": [note.id]})))
                assert [g["record_id"] for g in gone] == [note.id]
                job = json.loads(text_of(await client.call_tool("consolidate", {})))
                assert job["state"] == "done"
                facts = json.loads(text_of(await client.call_tool("facts", {"subject": "Ana"})))
                assert isinstance(facts, list)

        asyncio.run(session())
        assert memory.notes() == []


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_same_tools_over_streamable_http(tmp_path: Path) -> None:
    port = free_port()
    command = [
        sys.executable, "-m", "memstrata", "--db", str(tmp_path / "m.db"), "--namespace",
        "agent-3", "--embedder", "hash", "mcp", "--transport", "http", "--port", str(port),
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)

        async def session() -> None:
            async with Client(f"http://127.0.0.1:{port}/mcp") as client:
                await client.call_tool("remember", {"content": "My dog is called Rex."})
                hits = json.loads(text_of(await client.call_tool("recall", {"query": "dog"})))
                assert "Rex" in hits[0]["text"]

        asyncio.run(session())
    finally:
        process.terminate()
        process.wait(10)


def test_an_agent_keeps_its_working_memory_through_the_task_tools(tmp_path: Path) -> None:
    with Memory(tmp_path / "m.db", embedder=HashEmbedder(), namespace="agent-4") as memory:

        async def session() -> None:
            async with Client(build_server(memory)) as client:
                task = json.loads(text_of(await client.call_tool("task_open", {"title": "fix CI"})))
                await client.call_tool(
                    "task_subgoal", {"task_id": task["id"], "title": "reproduce"}
                )
                await client.call_tool(
                    "task_step", {"task_id": task["id"], "content": "make test fails in mypy"}
                )
                view = json.loads(
                    text_of(await client.call_tool("task_context", {"task_id": task["id"]}))
                )
                assert "Now: reproduce" in view and "make test fails in mypy" in view
                note = json.loads(
                    text_of(await client.call_tool("task_close", {"task_id": task["id"]}))
                )
                assert "fix CI" in note["text"]
                bad = await client.call_tool("task_step", {"task_id": task["id"], "content": "x"})
                assert bad.is_error and "invalid_input" in str(getattr(bad.content[0], "text", ""))

        asyncio.run(session())


def test_tools_refuse_arguments_they_do_not_take_and_the_server_names_its_version(
    tmp_path: Path,
) -> None:
    with Memory(tmp_path / "m.db", embedder=HashEmbedder(), namespace="agent-3") as memory:
        server = build_server(memory)

        async def session() -> None:
            async with Client(server) as client:
                assert client.server_info is not None
                assert client.server_info.version == memstrata.__version__
                listed = (await client.list_tools()).tools
                assert all(t.input_schema["additionalProperties"] is False for t in listed)
                await client.call_tool("remember", {"content": "Ana plays the cello."})
                typo = await client.call_tool("recall", {"query": "cello", "limt": 1})
                message = str(getattr(typo.content[0], "text", ""))
                assert typo.is_error and "invalid_input" in message and "limt" in message
                extra = await client.call_tool("get_profile", {"namespace": "other"})
                assert extra.is_error and "namespace" in str(getattr(extra.content[0], "text", ""))
                fine = json.loads(text_of(await client.call_tool("recall", {"query": "cello"})))
                assert "cello" in fine[0]["text"]

        asyncio.run(session())
        assert memory.namespaces() == ["agent-3"]


def test_recall_and_context_take_the_filters(tmp_path: Path) -> None:
    with Memory(tmp_path / "m.db", embedder=HashEmbedder()) as memory:
        server = build_server(memory)

        async def session() -> None:
            async with Client(server) as client:
                tools = {t.name: t for t in (await client.list_tools()).tools}
                for name in ("recall", "context"):
                    schema = tools[name].input_schema["properties"]
                    assert {"session_id", "speaker", "since", "until", "metadata"} <= set(schema)
                for speaker, text in (("Ana", "Ana plays the cello"), ("Bo", "Bo plays the cello")):
                    await client.call_tool("remember", {"content": text, "speaker": speaker})
                hits = json.loads(
                    text_of(await client.call_tool("recall", {"query": "cello", "speaker": "Bo"}))
                )
                assert [h["speaker"] for h in hits] == ["Bo"]
                block = json.loads(
                    text_of(
                        await client.call_tool(
                            "context", {"query": "cello", "metadata": {"nothing": 1}}
                        )
                    )
                )
                assert block["refs"] == []
                bad = await client.call_tool("recall", {"query": "cello", "since": "soon"})
                assert bad.is_error and "since" in str(getattr(bad.content[0], "text", ""))

        asyncio.run(session())
