"""The OpenAI-compatible embedder against a real local HTTP server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from memstrata import BadProviderOutput, InvalidInput, Memory, ProviderUnavailable, Settings
from memstrata.providers.embed.http import HttpEmbedder
from memstrata.testing import HashEmbedder
from tests.replay_server import Answer, ReplayServer

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
HASH = HashEmbedder(dimensions=16)


def computed(body: dict[str, Any]) -> Answer:
    vectors = HASH.embed_batch(body["input"])
    data = [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)]
    return 200, json.dumps({"object": "list", "data": data})


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    with ReplayServer().running() as running:
        yield running


def embedder(server: ReplayServer) -> HttpEmbedder:
    settings = Settings.load(
        {},
        embedder="openai",
        embedder_url=server.url,
        embedder_model="text-embedding-3-small",
        embedder_api_key="sk-test",
    )
    made = HttpEmbedder(settings)
    made.backoff_s = 0.01
    return made


def test_recorded_answer_is_parsed_in_index_order(server: ReplayServer) -> None:
    server.script.append((200, (FIXTURES / "embeddings_ok.json").read_text()))
    client = embedder(server)
    assert client.embed_batch(["a", "b"]) == [[0.6, 0.8, 0.0], [0.0, 1.0, 0.0]]
    assert client.dimensions == 3 and client.name == "openai:text-embedding-3-small"
    (request,) = server.requests
    assert request["path"] == "/v1/embeddings" and request["auth"] == "Bearer sk-test"
    assert request["body"] == {"model": "text-embedding-3-small", "input": ["a", "b"]}


def test_429_and_503_are_retried(server: ReplayServer) -> None:
    server.script.extend(
        [
            (429, '{"error": "slow down"}'),
            (503, "busy"),
            (200, (FIXTURES / "embeddings_ok.json").read_text()),
        ]
    )
    assert len(embedder(server).embed_batch(["a", "b"])) == 2
    assert len(server.requests) == 3


def test_persistent_5xx_is_unavailable(server: ReplayServer) -> None:
    server.script.extend([(500, "boom")] * 3)
    with pytest.raises(ProviderUnavailable, match="500"):
        embedder(server).embed_batch(["a"])


def test_client_errors_are_not_retried(server: ReplayServer) -> None:
    server.script.append((401, '{"error": "bad key"}'))
    with pytest.raises(ProviderUnavailable, match="401"):
        embedder(server).embed_batch(["a"])
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        '{"data": "nope"}',
        '{"data": [{"index": 0}]}',
        '{"data": [{"index": 0, "embedding": [1, 2]}, {"index": 1, "embedding": [1]}]}',
    ],
)
def test_malformed_answers_are_bad_output(server: ReplayServer, body: str) -> None:
    server.script.append((200, body))
    with pytest.raises(BadProviderOutput):
        embedder(server).embed_batch(["a", "b"])


def test_unreachable_endpoint_is_unavailable() -> None:
    settings = Settings.load({}, embedder_url="http://127.0.0.1:9/v1", embedder_model="m")
    client = HttpEmbedder(settings)
    client.backoff_s = 0.01
    with pytest.raises(ProviderUnavailable, match="unreachable"):
        client.embed_batch(["a"])


def test_missing_configuration_is_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="embedder_url"):
        HttpEmbedder(Settings.load({}))


def test_memory_keeps_episodes_when_embedding_fails_and_flush_catches_up(
    tmp_path: Path, server: ReplayServer
) -> None:
    server.fallback = computed
    with Memory(tmp_path / "m.db", embedder=embedder(server)) as memory:
        memory.add("first message about tea")
        server.script.extend([(500, "down")] * 3)
        (kept,) = memory.add("second message about coffee")
        assert memory.get(kept.id).content == "second message about coffee"
        assert memory.stats().namespaces[0].pending_vectors == 1
        hits = memory.search("coffee", retrievers=["bm25"])
        assert [h.id for h in hits] == [kept.id]
        assert memory.flush() == 1
        assert memory.stats().namespaces[0].pending_vectors == 0
        assert kept.id in [h.id for h in memory.search("coffee", retrievers=["dense"])]


def test_search_degrades_to_lexical_when_the_query_cannot_be_embedded(
    tmp_path: Path, server: ReplayServer
) -> None:
    server.fallback = computed
    with Memory(tmp_path / "m.db", embedder=embedder(server)) as memory:
        memory.add("a message about green tea")
        server.script.extend([(500, "down")] * 3)
        (hit,) = memory.search("green tea")
        assert hit.ranks["bm25"] == 1
        assert not {"dense", "keys_dense"} & set(hit.ranks)  # lexical retrievers only
