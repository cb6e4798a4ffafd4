"""The HTTP edges a new user hits: typed errors for bodies that are not JSON,
strict numbers, 409 for an id with other content, 413 for streamed bodies, and
a logged 500 that carries its request id."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from memstrata.server.app import create_app
from tests.server.conftest import Api, make_settings

NS = "/v1/namespaces/ana"


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    settings = make_settings(tmp_path, max_request_bytes=200_000)
    with TestClient(create_app(settings)) as client:
        yield Api(client, {"Authorization": "Bearer admin-key-for-tests-0123456789"})


def error(answer: object) -> dict[str, object]:
    body = answer.json()  # type: ignore[attr-defined]
    assert isinstance(body, dict)
    found = body["error"]
    assert isinstance(found, dict)
    return found


def test_bodies_that_are_not_json_text_are_invalid_input_on_the_body(api: Api) -> None:
    key = api.key("ana")
    for raw in (b'{"query": "caf\xc3("}', b"{garbage", b'{"query": '):
        answer = api.client.post(f"{NS}/search", content=raw, headers=key)
        assert answer.status_code == 400, raw
        assert error(answer)["code"] == "invalid_input" and error(answer)["field"] == "body"


def test_numbers_and_booleans_must_be_json_ones(api: Api) -> None:
    key = api.key("ana")
    answer = api.client.post(f"{NS}/search", json={"query": "x", "limit": "5"}, headers=key)
    assert answer.status_code == 422 and error(answer)["field"] == "limit"
    purge = api.client.post(f"{NS}/purge", json={"everything": "yes"}, headers=key)
    assert purge.status_code == 422 and error(purge)["field"] == "everything"
    assert api.client.post(f"{NS}/search", json={"query": "x", "limit": 5}, headers=key).is_success


def test_other_content_under_a_stored_id_is_409_and_stores_nothing(api: Api) -> None:
    key = api.key("ana")
    first = {"messages": [{"id": "e1", "content": "the original"}]}
    assert api.client.post(f"{NS}/episodes", json=first, headers=key).status_code == 201
    assert api.client.post(f"{NS}/episodes", json=first, headers=key).status_code == 201
    attempt = {"messages": [{"id": "e2", "content": "new"}, {"id": "e1", "content": "OVERWRITE"}]}
    answer = api.client.post(f"{NS}/episodes", json=attempt, headers=key)
    assert answer.status_code == 409 and error(answer)["code"] == "conflict"
    assert error(answer)["field"] == "messages[1].id"
    assert api.client.get(f"{NS}/episodes/e1", headers=key).json()["content"] == "the original"
    assert api.client.get(f"{NS}/stats", headers=key).json()["episodes"] == 1


def test_a_streamed_body_over_the_limit_is_413(api: Api) -> None:
    key = api.key("ana")
    body = json.dumps({"messages": [{"content": "x" * 300_000}]}).encode()

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 65_536):
            yield body[start : start + 65_536]

    answer = api.client.post(f"{NS}/episodes", content=chunks(), headers=key)
    assert answer.status_code == 413 and error(answer)["code"] == "too_large"
    assert api.client.get(f"{NS}/stats", headers=key).json()["episodes"] == 0


def test_an_unexpected_error_is_a_logged_json_500_with_its_request_id(
    api: Api, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = api.key("ana")
    memory = api.client.app.state.service.memory  # type: ignore[attr-defined]

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(memory, "search", broken)
    headers = {**key, "X-Request-ID": "trace-500-abcdef"}
    with caplog.at_level(logging.INFO, logger="memstrata.server"):
        answer = api.client.post(f"{NS}/search", json={"query": "x"}, headers=headers)
    assert answer.status_code == 500 and error(answer)["code"] == "internal"
    assert error(answer)["request_id"] == "trace-500-abcdef"
    assert answer.headers["x-request-id"] == "trace-500-abcdef"
    logged = [r for r in caplog.records if "trace-500-abcdef" in r.getMessage()]
    assert any(r.exc_info for r in logged)  # the traceback, under the request id
    lines = [json.loads(r.getMessage()) for r in logged if r.getMessage().startswith("{")]
    assert [line["status"] for line in lines] == [500]


def test_time_words_at_the_ends_of_the_calendar_answer(api: Api) -> None:
    key = api.key("ana")
    early = {"content": "Last May I moved to Paris", "occurred_at": "0001-01-01T00:00:00Z"}
    late = {"content": "Next year I move to Rome", "occurred_at": "9999-12-31T23:00:00Z"}
    added = api.client.post(f"{NS}/episodes", json={"messages": [early, late]}, headers=key)
    assert added.status_code == 201
    for query, now in [
        ("what happened yesterday", "0001-01-01T00:00:00Z"),
        ("two weeks ago in May", "0001-01-01T00:00:00Z"),
        ("next month", "9999-12-31T23:00:00Z"),
        ("next year", "9999-12-31T23:00:00Z"),
    ]:
        answer = api.client.post(f"{NS}/search", json={"query": query, "now": now}, headers=key)
        assert answer.status_code == 200, answer.text
    stats = api.client.get(f"{NS}/stats", headers=key).json()
    assert stats["queued_for_extraction"] == 0 and stats["extraction_failed"] == 0


def test_create_app_alone_sets_request_ids_and_the_size_limit(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path, max_request_bytes=1_000))) as client:
        assert len(client.get("/healthz").headers["x-request-id"]) >= 8
        big = client.post("/v1/namespaces/a/search", content=b"x" * 5_000)
        assert big.status_code == 413


def test_every_list_route_answers_a_page(api: Api) -> None:
    key = api.key("ana")
    api.client.post(
        f"{NS}/episodes",
        json={"messages": [{"content": "I moved to Lyon", "speaker": "Ana"}]},
        headers=key,
    )
    for path in (
        "/v1/namespaces",
        f"{NS}/summaries",
        f"{NS}/jobs",
        f"{NS}/tasks",
        f"{NS}/history/fact/nope",
        f"{NS}/entities/Ana/timeline",
        f"{NS}/entities/Ana/neighbors",
    ):
        page = api.client.get(path, params={"limit": 1}, headers=key).json()
        assert set(page) == {"items", "next_offset"}, path
    api.key("bo")
    keys = api.client.get("/v1/keys", params={"limit": 1}, headers=api.admin).json()
    assert len(keys["items"]) == 1 and keys["next_offset"] == 1
