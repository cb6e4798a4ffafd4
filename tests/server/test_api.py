"""The REST API: keys, errors, limits, and every verb through HTTP."""

from __future__ import annotations

from tests.server.conftest import Api

NS = "/v1/namespaces/ana"


def test_health_and_readiness_need_no_key(api: Api) -> None:
    assert api.client.get("/healthz").json() == {"status": "ok"}
    assert api.client.get("/readyz").json() == {"status": "ready"}


def test_a_request_without_a_valid_key_gets_a_json_401_with_its_request_id(api: Api) -> None:
    for headers in (
        {},
        {"X-API-Key": "nope"},
        {"Authorization": "Bearer msk_0123456789abcdef_x" + "y" * 30},
    ):
        answer = api.client.post(f"{NS}/search", json={"query": "x"}, headers=headers)
        assert answer.status_code == 401
        error = answer.json()["error"]
        assert (
            error["code"] == "unauthorized"
            and error["request_id"] == answer.headers["x-request-id"]
        )
    given = api.client.get("/healthz", headers={"X-Request-ID": "trace-12345678"})
    assert given.headers["x-request-id"] == "trace-12345678"


def test_keys_are_made_listed_and_revoked_by_the_admin_only(api: Api) -> None:
    user = api.key("ana")
    assert api.client.get("/v1/keys", headers=user).status_code == 403
    (listed,) = api.client.get("/v1/keys", headers=api.admin).json()["items"]
    assert listed["namespaces"] == ["ana"] and "token" not in listed and "secret" not in str(listed)
    assert api.client.post(f"{NS}/search", json={"query": "x"}, headers=user).status_code == 200
    revoked = api.client.delete(f"/v1/keys/{listed['id']}", headers=api.admin)
    assert revoked.json() == {"count": 1}
    assert api.client.post(f"{NS}/search", json={"query": "x"}, headers=user).status_code == 401
    bad = api.client.post(
        "/v1/keys", json={"name": "x", "namespaces": ["bad name!"]}, headers=api.admin
    )
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "namespace"


def test_episodes_round_trip_and_errors_have_stable_codes(api: Api) -> None:
    key = api.key("ana")
    added = api.client.post(
        f"{NS}/episodes",
        json={"messages": [{"content": "I moved to Lyon", "speaker": "Ana", "id": "m1"}]},
        headers=key,
    )
    assert added.status_code == 201
    (episode,) = added.json()
    again = api.client.post(
        f"{NS}/episodes",
        json={"messages": [{"content": "I moved to Lyon", "id": "m1"}]},
        headers=key,
    )
    assert again.json()[0]["id"] == episode["id"]  # idempotent by message id
    assert (
        api.client.get(f"{NS}/episodes/{episode['id']}", headers=key).json()["content"]
        == "I moved to Lyon"
    )
    hits = api.client.post(f"{NS}/search", json={"query": "Lyon"}, headers=key).json()
    assert hits[0]["id"] == episode["id"] and hits[0]["ranks"]
    assert api.client.delete(f"{NS}/episodes/{episode['id']}", headers=key).json()["deleted_at"]
    assert api.client.post(f"{NS}/search", json={"query": "Lyon"}, headers=key).json() == []
    api.client.post(f"{NS}/episodes/{episode['id']}/restore", headers=key)
    missing = api.client.get(f"{NS}/episodes/nope", headers=key)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    empty = api.client.post(f"{NS}/search", json={"query": ""}, headers=key)
    assert empty.status_code == 422 and empty.json()["error"]["field"] == "query"
    naive = api.client.post(
        f"{NS}/episodes",
        json={"messages": [{"content": "x", "occurred_at": "2023-05-08T10:00:00"}]},
        headers=key,
    )
    assert naive.status_code == 400 and naive.json()["error"]["code"] == "invalid_input"
    purged = api.client.post(f"{NS}/purge", json={"episode_ids": [episode["id"]]}, headers=key)
    assert purged.json() == {"count": 1}


def test_bodies_over_the_limit_are_refused_with_413(api: Api) -> None:
    key = api.key("ana")
    big = {"messages": [{"content": "x" * 300_000}]}
    answer = api.client.post(f"{NS}/episodes", json=big, headers=key)
    assert answer.status_code == 413 and answer.json()["error"]["code"] == "too_large"
    stats = api.client.get(f"{NS}/stats", headers=key)
    assert stats.status_code == 200 and stats.json()["episodes"] == 0  # nothing was stored


def test_each_key_has_its_rate_limit(api: Api) -> None:
    slow, other = api.key("ana", rate=2), api.key("ana")
    codes = [
        api.client.post(f"{NS}/search", json={"query": "x"}, headers=slow).status_code
        for _ in range(3)
    ]
    assert codes == [200, 200, 429]
    limited = api.client.post(f"{NS}/search", json={"query": "x"}, headers=slow)
    assert (
        limited.json()["error"]["code"] == "rate_limited"
        and int(limited.headers["retry-after"]) >= 1
    )
    assert api.client.post(f"{NS}/search", json={"query": "x"}, headers=other).status_code == 200


def test_lists_come_in_pages(api: Api) -> None:
    key = api.key("ana")
    lines = [f"I adopted a dog named Rex{i} in Paris." for i in range(5)]
    api.client.post(
        f"{NS}/episodes",
        json={"messages": [{"content": t, "speaker": "Ana"} for t in lines]},
        headers=key,
    )
    seen, offset = [], 0
    while offset is not None:
        page = api.client.get(
            f"{NS}/notes", params={"limit": 2, "offset": offset}, headers=key
        ).json()
        seen += [n["id"] for n in page["items"]]
        offset = page["next_offset"]
    everything = api.client.get(f"{NS}/notes", params={"limit": 100}, headers=key).json()
    assert seen == [n["id"] for n in everything["items"]] and len(seen) == 5
    assert api.client.get(f"{NS}/notes", params={"limit": 0}, headers=key).status_code == 422


def test_structure_dynamics_and_tasks_over_http(api: Api) -> None:
    key = api.key("ana")
    api.client.post(
        f"{NS}/episodes",
        json={"messages": [
            {"content": "I live in Paris", "speaker": "Ana", "occurred_at": "2023-05-08T10:00:00Z"},
            {"content": "I moved to Lyon", "speaker": "Ana", "occurred_at": "2023-09-01T10:00:00Z"},
        ]},
        headers=key,
    )  # fmt: skip
    facts = api.client.get(
        f"{NS}/facts", params={"subject": "Ana", "predicate": "lives_in"}, headers=key
    )
    assert [f["object"] for f in facts.json()["items"]] == ["Paris", "Lyon"]
    context = api.client.post(f"{NS}/context", json={"query": "where does Ana live"}, headers=key)
    block = context.json()
    assert "```memory" in block["text"] and block["tokenizer"] == "qwen2.5"
    assert block["tokens"] <= block["token_budget"] == 1000
    assert {r["kind"] for r in block["refs"]} == {"fact", "episode"}
    assert all(f"[{r['label']}] " in block["text"] for r in block["refs"])
    counted = api.client.post(
        f"{NS}/context", json={"query": "Lyon", "tokenizer": "o200k"}, headers=key
    )
    assert counted.json()["tokenizer"] == "o200k"
    narrowed = api.client.post(
        f"{NS}/context",
        json={"query": "where does Ana live", "until": "2023-06-01T00:00:00Z"},
        headers=key,
    ).json()
    quoted = [r["id"] for r in narrowed["refs"] if r["kind"] == "episode"]
    assert len(quoted) == 1 and "I live in Paris" in narrowed["text"]
    none = api.client.post(
        f"{NS}/context", json={"query": "Lyon", "metadata": {"turn": 9}}, headers=key
    ).json()
    assert none["refs"] and not [r for r in none["refs"] if r["kind"] == "episode"]
    for bad in ("gpt-17", "/etc/tokenizer.json"):
        refused = api.client.post(
            f"{NS}/context", json={"query": "Lyon", "tokenizer": bad}, headers=key
        )
        assert refused.status_code == 422 and "tokenizer" in refused.text
    job = api.client.post(f"{NS}/consolidate", json={"background": False}, headers=key).json()
    assert job["state"] == "done"
    assert api.client.get(f"{NS}/summaries", params={"level": "event"}, headers=key).json()
    lines = api.client.get(f"{NS}/profile", headers=key).json()["lines"]
    assert any(line["statement"] == "Ana lives in Lyon" for line in lines)
    dry = api.client.post(
        f"{NS}/forget", json={"dry_run": True, "now": "2040-01-01T00:00:00Z"}, headers=key
    )
    assert dry.status_code == 200 and dry.json()
    policy = api.client.put(f"{NS}/policy", json={"consolidate_every_s": 3600}, headers=key).json()
    assert policy["consolidate_every_s"] == 3600
    task = api.client.post(f"{NS}/tasks", json={"title": "ship it"}, headers=key).json()
    api.client.post(f"{NS}/tasks/{task['id']}/subgoals", json={"title": "test"}, headers=key)
    api.client.post(f"{NS}/tasks/{task['id']}/steps", json={"content": "pytest -q"}, headers=key)
    view = api.client.get(f"{NS}/tasks/{task['id']}/context", headers=key).json()["text"]
    assert "Now: test" in view and "pytest -q" in view
    note = api.client.post(f"{NS}/tasks/{task['id']}/close", json={}, headers=key).json()
    assert "ship it" in note["text"]
    stats = api.client.get(f"{NS}/stats", headers=key).json()
    assert stats["namespace"] == "ana" and stats["episodes"] >= 2 and "path" not in stats


def test_the_openapi_spec_lists_the_versioned_routes(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    paths = set(spec["paths"])
    assert {
        "/v1/namespaces/{namespace}/search",
        "/v1/namespaces/{namespace}/episodes",
        "/v1/keys",
    } <= paths
    assert all(p.startswith(("/v1/", "/healthz", "/readyz")) for p in paths)


def test_export_import_and_neighbors(api: Api) -> None:
    key = api.key("ana", "bo")
    api.client.post(
        f"{NS}/episodes",
        json={"messages": [{"content": "I moved to Lyon with my sister Maya.", "speaker": "Ana"}]},
        headers=key,
    )
    dump = api.client.get(f"{NS}/export", headers=key)
    assert dump.status_code == 200 and dump.headers["content-type"].startswith(
        "application/x-ndjson"
    )
    lines = [line for line in dump.text.splitlines() if line]
    assert len(lines) == 1 and '"namespace": "ana"' in lines[0]
    again = api.client.post(f"{NS}/import", content=dump.content, headers=key)
    assert again.json() == {"added": 0, "skipped": 1}
    elsewhere = api.client.post("/v1/namespaces/bo/import", content=dump.content, headers=key)
    assert elsewhere.status_code == 400 and elsewhere.json()["error"]["field"] == "namespace"
    garbage = api.client.post(f"{NS}/import", content=b"\xff\xfe not json", headers=key)
    assert garbage.status_code == 400
    facts = api.client.get(f"{NS}/entities/Ana/neighbors", headers=key).json()["items"]
    assert any(f["object"] == "Lyon" for f in facts)
