"""The LLM extractor against a real local HTTP server replaying recorded answers."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from memstrata import Memory, Settings, TokenUsage
from memstrata.testing import HashEmbedder
from tests.replay_server import ReplayServer

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
T = datetime(2023, 7, 1, 12, 0, tzinfo=UTC)
BATCH = [
    {"content": "I moved to Lyon last month.", "speaker": "Maya", "occurred_at": T},
    {"content": "My sister Anna works at a bakery.", "speaker": "Maya", "occurred_at": T},
    {"content": "How are you?", "speaker": "Maya", "occurred_at": T},
]


def recorded(name: str) -> str:
    return (FIXTURES / name).read_text()


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    with ReplayServer().running() as running:
        yield running


def llm_memory(tmp_path: Path, server: ReplayServer, timeout_s: float = 5.0) -> Memory:
    settings = Settings.load(
        {},
        path=str(tmp_path / "m.db"),
        extractor="llm",
        llm_url=server.url,
        llm_model="llama-3.1-8b-instruct",
        llm_api_key="sk-local",
        llm_timeout_s=timeout_s,
    )
    memory = Memory(settings=settings, embedder=HashEmbedder())
    memory.extractor._llm.backoff_s = 0.01  # type: ignore[union-attr]
    return memory


def extracted_by(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    return {r[0] for r in conn.execute("SELECT DISTINCT extractor FROM extracted")}


def test_one_call_per_batch_and_the_answer_becomes_structure(
    tmp_path: Path, server: ReplayServer
) -> None:
    server.script.append((200, recorded("chat_extraction_ok.json")))
    with llm_memory(tmp_path, server) as memory:
        memory.add(BATCH)
        (request,) = server.requests
        assert request["path"] == "/v1/chat/completions" and request["auth"] == "Bearer sk-local"
        body = request["body"]
        assert body["temperature"] == 0 and body["response_format"]["type"] == "json_schema"
        assert (
            "[1] 2023-07-01 Maya: My sister Anna works at a bakery."
            in body["messages"][1]["content"]
        )
        (lives,) = memory.facts("Maya", "lives_in")
        assert lives.object == "Lyon" and lives.valid_at == datetime(2023, 6, 1, tzinfo=UTC)
        assert [f.object for f in memory.facts("Maya", "has_sister")] == ["Anna"]
        assert memory.facts("Maya", "lives_in", as_of=T)[0].object == "Lyon"
        assert {n.text for n in memory.notes()} == {
            "Maya moved to Lyon in June 2023.",
            "Maya's sister Anna works at a bakery.",
        }
        usage = memory.llm_usage()
        assert (usage.calls, usage.prompt_tokens, usage.completion_tokens) == (1, 412, 168)
        usage.calls = 99  # a copy: the running count is not the caller's to change
        assert memory.llm_usage().calls == 1
    assert extracted_by(tmp_path / "m.db") == {"llm:llama-3.1-8b-instruct"}


def test_answers_are_cached_by_prompt(tmp_path: Path, server: ReplayServer) -> None:
    server.script.append((200, recorded("chat_extraction_ok.json")))
    with llm_memory(tmp_path, server) as memory:
        memory.add(BATCH, namespace="a")
        memory.add(BATCH, namespace="b")  # same prompt: served from the cache
        assert len(server.requests) == 1
        assert [f.object for f in memory.facts("Maya", "lives_in", namespace="b")] == ["Lyon"]
        assert (memory.llm_usage().calls, memory.llm_usage().cached) == (1, 1)


@pytest.mark.parametrize(
    "answer",
    [
        (200, recorded("chat_extraction_prose.json")),
        (200, recorded("chat_extraction_truncated.json")),
        (200, '{"choices": []}'),
        (200, "not json at all"),
        (400, '{"error": "bad request"}'),
    ],
)
def test_bad_answers_fall_back_to_offline_visibly(
    tmp_path: Path, server: ReplayServer, caplog: pytest.LogCaptureFixture, answer: tuple[int, str]
) -> None:
    server.script.append(answer)
    with (
        caplog.at_level(logging.WARNING, logger="memstrata"),
        llm_memory(tmp_path, server) as memory,
    ):
        episodes = memory.add(BATCH)
        assert [memory.get(e.id).content for e in episodes] == [m["content"] for m in BATCH]
        assert [f.object for f in memory.facts("Maya", "lives_in")] == ["Lyon"]  # offline rules
        assert memory.extractor.fallbacks == 1  # type: ignore[union-attr]
    assert extracted_by(tmp_path / "m.db") == {
        "offline-1 (fallback from llm:llama-3.1-8b-instruct)"
    }
    assert "LLM extraction failed" in caplog.text
    if "prose" in answer[1]:
        assert "Here are the facts" in caplog.text  # the raw answer, for debugging


def test_rate_limits_are_retried_within_the_one_call(tmp_path: Path, server: ReplayServer) -> None:
    server.script.extend(
        [(429, '{"error": "slow down"}'), (503, "busy"), (200, recorded("chat_extraction_ok.json"))]
    )
    with llm_memory(tmp_path, server) as memory:
        memory.add(BATCH)
        assert memory.extractor.fallbacks == 0  # type: ignore[union-attr]
        assert [f.object for f in memory.facts("Maya", "has_sister")] == ["Anna"]


def test_timeouts_fall_back_and_keep_the_episode(tmp_path: Path, server: ReplayServer) -> None:
    server.script.extend([(200, recorded("chat_extraction_ok.json"), 1.0)] * 3)
    with llm_memory(tmp_path, server, timeout_s=0.2) as memory:
        (episode,) = memory.add("I live in Paris.", speaker="Maya")
        assert memory.get(episode.id).content == "I live in Paris."
        assert memory.extractor.fallbacks == 1  # type: ignore[union-attr]
        assert [f.object for f in memory.facts("Maya")] == ["Paris"]


def test_llm_extraction_needs_an_endpoint(tmp_path: Path) -> None:
    from memstrata import InvalidInput

    with pytest.raises(InvalidInput, match="llm_url"):
        Memory(
            settings=Settings.load({}, path=str(tmp_path / "m.db"), extractor="llm"),
            embedder=HashEmbedder(),
        )


def test_usage_is_zero_without_an_llm(tmp_path: Path) -> None:
    with Memory(tmp_path / "m.db", embedder=HashEmbedder()) as memory:
        memory.add("Maya moved to Lyon.")
        assert memory.llm_usage() == TokenUsage()
