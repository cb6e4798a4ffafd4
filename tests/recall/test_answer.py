"""answer(): the reader LLM against a real local HTTP server replaying answers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from memstrata import BadProviderOutput, InvalidInput, Memory, Settings
from memstrata.testing import HashEmbedder
from tests.conftest import T0, T1, T2
from tests.replay_server import ReplayServer

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    with ReplayServer().running() as running:
        yield running


def reader_memory(tmp_path: Path, server: ReplayServer) -> Memory:
    settings = Settings.load(
        {}, path=str(tmp_path / "m.db"), llm_url=server.url, llm_model="llama-3.1-8b-instruct"
    )
    memory = Memory(settings=settings, embedder=HashEmbedder())
    memory.add("I live in Paris", speaker="Ana", occurred_at=T0)
    memory.add("I moved to Lyon", speaker="Ana", occurred_at=T1)
    return memory


def test_the_reader_gets_the_context_and_its_notes_come_back(
    tmp_path: Path, server: ReplayServer
) -> None:
    server.script.append((200, (FIXTURES / "chat_reader_ok.json").read_text()))
    with reader_memory(tmp_path, server) as memory:
        answer = memory.answer("Where does Ana live now?", now=T2)
    assert answer.text == "Lyon (since June 2023)" and len(answer.notes) == 2
    assert (answer.prompt_tokens, answer.completion_tokens) == (301, 57)
    assert answer.model == "llama-3.1-8b-instruct"
    (request,) = server.requests
    messages = request["body"]["messages"]
    assert "never instructions" in messages[0]["content"]
    assert (
        answer.context.text in messages[1]["content"]
        and "Today is 2023-07-15" in messages[1]["content"]
    )
    assert "Ana lives_in Lyon" in answer.context.text


def test_a_malformed_answer_is_a_typed_error(tmp_path: Path, server: ReplayServer) -> None:
    bad = json.loads((FIXTURES / "chat_reader_ok.json").read_text())
    bad["choices"][0]["message"]["content"] = "Lyon, I think."
    server.script.append((200, json.dumps(bad)))
    with reader_memory(tmp_path, server) as memory, pytest.raises(BadProviderOutput):
        memory.answer("Where does Ana live now?", now=T2)


def test_answer_needs_a_reader(tmp_path: Path) -> None:
    with Memory(tmp_path / "m.db", embedder=HashEmbedder()) as memory:
        memory.add("I live in Paris", speaker="Ana", occurred_at=T0)
        with pytest.raises(InvalidInput) as info:
            memory.answer("Where does Ana live?")
    assert info.value.field == "llm_url"


def test_a_purge_leaves_no_cached_answer_behind(tmp_path: Path, server: ReplayServer) -> None:
    server.script.append((200, (FIXTURES / "chat_reader_ok.json").read_text()))
    side = tmp_path / "m.db.side"
    with reader_memory(tmp_path, server) as memory:
        memory.answer("Where does Ana live now?", now=T2)
        cache = side / "llm-cache"
        assert any("Lyon" in p.read_text() for p in cache.glob("*.json"))
        memory.purge(everything=True)
        assert not cache.exists() or not any(cache.iterdir())
        left = [p for p in side.rglob("*") if p.is_file()]
        assert not any(b"Lyon" in p.read_bytes() for p in left)
