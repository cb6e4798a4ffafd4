"""Tenant isolation: two tenants' keys against every route and verb."""

from __future__ import annotations

import re

from tests.server.conftest import Api

SECRET = "Tenant A's locker code is QX4417 and her cat is Zorro."
# (a code with letters no hex id has: request ids in error bodies are hex and
# would otherwise contain a bare number now and then)


def fill_tenant_a(api: Api, key: dict[str, str]) -> dict[str, str]:
    """Data in namespace a, and the ids a route may name."""
    base = "/v1/namespaces/a"
    (episode,) = api.client.post(
        f"{base}/episodes", json={"messages": [{"content": SECRET, "speaker": "Ana"}]}, headers=key
    ).json()
    api.client.post(f"{base}/consolidate", json={"background": False}, headers=key)
    task = api.client.post(f"{base}/tasks", json={"title": "a's task"}, headers=key).json()
    notes = api.client.get(f"{base}/notes", headers=key).json()["items"]
    return {
        "namespace": "a",
        "episode_id": episode["id"],
        "task_id": task["id"],
        "record_id": notes[0]["id"],
        "record_kind": "note",
        "name": "Ana",
    }


def namespace_routes(api: Api) -> list[tuple[str, str]]:
    """Every (method, path) of the OpenAPI spec that names a namespace."""
    paths = api.client.get("/openapi.json").json()["paths"]
    return [
        (method.upper(), path)
        for path, operations in paths.items()
        if "{namespace}" in path
        for method in operations
    ]


def test_every_namespace_route_refuses_another_tenants_key(api: Api) -> None:
    key_a, key_b = api.key("a"), api.key("b")
    ids = fill_tenant_a(api, key_a)
    routes = namespace_routes(api)
    assert len(routes) >= 30  # the spec lists every route; an empty list would prove nothing
    for method, template in routes:
        path = re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], template)
        for body in (
            {},
            {"query": "locker", "title": "x", "content": "x", "record_id": ids["record_id"]},
        ):
            answer = api.client.request(method, path, json=body, headers=key_b)
            assert answer.status_code == 403, (method, template, answer.text)
            assert "QX4417" not in answer.text and "Zorro" not in answer.text
    # and nothing of a changed: the episode, its task and notes are all still there
    assert (
        api.client.get(f"/v1/namespaces/a/episodes/{ids['episode_id']}", headers=key_a).status_code
        == 200
    )
    assert (
        api.client.get(f"/v1/namespaces/a/tasks/{ids['task_id']}", headers=key_a).json()[
            "closed_at"
        ]
        is None
    )


def test_a_tenants_own_namespace_shows_nothing_of_another(api: Api) -> None:
    key_a, key_b = api.key("a"), api.key("b")
    ids = fill_tenant_a(api, key_a)
    base = "/v1/namespaces/b"
    api.client.post(
        f"{base}/episodes",
        json={"messages": [{"content": "Bo likes tea.", "speaker": "Bo"}]},
        headers=key_b,
    )
    reads = [
        api.client.post(
            f"{base}/search", json={"query": "locker code Zorro QX4417"}, headers=key_b
        ),
        api.client.post(f"{base}/context", json={"query": "locker code"}, headers=key_b),
        api.client.get(f"{base}/notes", params={"include_archived": True}, headers=key_b),
        api.client.get(f"{base}/facts", headers=key_b),
        api.client.get(f"{base}/entities", headers=key_b),
        api.client.get(f"{base}/summaries", headers=key_b),
        api.client.get(f"{base}/profile", headers=key_b),
        api.client.get(f"{base}/jobs", headers=key_b),
        api.client.get(f"{base}/tasks", params={"open_only": False}, headers=key_b),
    ]
    for answer in reads:
        assert answer.status_code == 200, answer.text
        assert (
            "QX4417" not in answer.text
            and "Zorro" not in answer.text
            and ids["task_id"] not in answer.text
        )
    by_id = [
        api.client.get(f"{base}/episodes/{ids['episode_id']}", headers=key_b),
        api.client.get(f"{base}/tasks/{ids['task_id']}", headers=key_b),
        api.client.get(f"{base}/strength/note/{ids['record_id']}", headers=key_b),
        api.client.get(f"{base}/history/note/{ids['record_id']}", headers=key_b),
    ]
    assert [a.status_code for a in by_id][:3] == [404, 404, 404]
    assert by_id[3].json()["items"] == []
    assert (
        api.client.post(
            f"{base}/forget", json={"ids": [ids["record_id"]]}, headers=key_b
        ).status_code
        == 404
    )
    assert api.client.post(
        f"{base}/purge", json={"episode_ids": [ids["episode_id"]]}, headers=key_b
    ).json() == {"count": 0}
    assert (
        api.client.get(f"/v1/namespaces/a/episodes/{ids['episode_id']}", headers=key_a).status_code
        == 200
    )
    assert api.client.get("/v1/namespaces", headers=key_b).json()["items"] == ["b"]


def test_a_key_for_a_does_not_open_a_namespace_that_starts_with_a(api: Api) -> None:
    key = api.key("a")
    for other in ("a2", "A", "a.b", "ab"):
        assert (
            api.client.post(
                f"/v1/namespaces/{other}/search", json={"query": "x"}, headers=key
            ).status_code
            == 403
        )
