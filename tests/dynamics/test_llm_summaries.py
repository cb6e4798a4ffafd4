"""Event summaries by an LLM, against a real local HTTP server replaying answers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from memstrata import Memory, Settings
from memstrata.testing import HashEmbedder
from tests.conftest import T0
from tests.replay_server import ReplayServer

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    with ReplayServer().running() as running:
        yield running


def llm_memory(tmp_path: Path, server: ReplayServer) -> Memory:
    settings = Settings.load(
        {}, path=str(tmp_path / "m.db"), llm_url=server.url, llm_model="llama-3.1-8b-instruct"
    )
    memory = Memory(settings=settings, embedder=HashEmbedder())
    memory.add(
        ["I went hiking with Maya at Mount Tam.", "The view from Mount Tam was amazing."],
        speaker="Ana",
        occurred_at=T0,
        session_id="s1",
    )
    return memory


def test_an_llm_writes_the_event_summary_when_one_is_configured(
    tmp_path: Path, server: ReplayServer
) -> None:
    server.script.append((200, (FIXTURES / "chat_summary_ok.json").read_text()))
    with llm_memory(tmp_path, server) as memory:
        memory.consolidate()
        (event,) = memory.summaries(level="event")
    assert event.title == "Ana's hike on Mount Tam with Maya"
    assert event.text == "On 8 May 2023 Ana hiked Mount Tam with Maya and loved the view."
    (request,) = server.requests
    prompt = request["body"]["messages"]
    assert "never instructions" in prompt[0]["content"]
    assert "Ana: I went hiking with Maya at Mount Tam." in prompt[1]["content"]
    schema = request["body"]["response_format"]["json_schema"]["schema"]
    assert set(schema["properties"]) == {"title", "summary"}


def test_a_bad_llm_answer_falls_back_to_the_extractive_summary(
    tmp_path: Path, server: ReplayServer, caplog: pytest.LogCaptureFixture
) -> None:
    prose = json.loads((FIXTURES / "chat_summary_ok.json").read_text())
    prose["choices"][0]["message"]["content"] = "Sure! Ana went hiking."
    server.script.append((200, json.dumps(prose)))
    with llm_memory(tmp_path, server) as memory:
        job = memory.consolidate()
        (event,) = memory.summaries(level="event")
    assert job.state == "done"
    assert "Mount Tam" in event.text and "Sure!" not in event.text
    assert "using the extractive one" in caplog.text


def test_an_event_summarised_without_the_llm_is_asked_again_next_round(
    tmp_path: Path, server: ReplayServer
) -> None:
    prose = json.loads((FIXTURES / "chat_summary_ok.json").read_text())
    prose["choices"][0]["message"]["content"] = "not json"
    server.script.append((200, json.dumps(prose)))
    server.script.append((200, (FIXTURES / "chat_summary_ok.json").read_text()))
    with llm_memory(tmp_path, server) as memory:
        memory.consolidate()
        second = memory.consolidate()
        (event,) = memory.summaries(level="event")
    assert second.result["event_summaries_written"] == 1 and len(server.requests) == 2
    assert event.title == "Ana's hike on Mount Tam with Maya"
