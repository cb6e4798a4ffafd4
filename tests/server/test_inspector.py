"""The web inspector: served without a key under a strict policy, rendering data
only as text, and calling routes that exist with the fields it reads."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from fastapi.testclient import TestClient

from memstrata.server.app import create_app
from tests.server.conftest import Api, make_settings

SCRIPT = (resources.files("memstrata.server") / "static" / "inspector.js").read_text()
# What the page asks of the API, as (method, path template under the namespace).
CALLS = {
    ("get", "/events"),
    ("get", "/episodes/{episode_id}"),
    ("get", "/entities"),
    ("get", "/facts"),
    ("get", "/entities/{name}/timeline"),
    ("post", "/search"),
}


def test_the_page_is_served_without_a_key_under_a_strict_policy(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as client:
        page = client.get("/inspector")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        policy = page.headers["content-security-policy"]
        assert "default-src 'none'" in policy and "script-src 'self'" in policy
        assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
        assert '<script src="/inspector.js"' in page.text
        script = client.get("/inspector.js")
        assert script.headers["content-type"].startswith("text/javascript")
        assert script.text == SCRIPT
        assert client.get("/inspector.css").headers["content-type"].startswith("text/css")
        assert "/inspector" not in client.get("/openapi.json").json()["paths"]


def test_the_script_renders_data_as_text_only() -> None:
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in SCRIPT
    assert "localStorage" not in SCRIPT  # the key stays in this tab's sessionStorage


def test_every_route_the_page_calls_exists(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as client:
        spec = client.get("/openapi.json").json()["paths"]
    prefix = "/v1/namespaces/{namespace}"
    for method, path in CALLS:
        assert method in spec[prefix + path], path
        literal = path.split("{")[0].rstrip("/") or path
        assert f'nsPath("{literal}' in SCRIPT, path
    assert '"/v1/namespaces?' in SCRIPT and "get" in spec["/v1/namespaces"]


def test_the_fields_the_page_reads_are_in_the_answers(api: Api) -> None:
    headers = api.key("team")
    base = "/v1/namespaces/team"
    body = {
        "messages": [
            {"content": "Ana moved to Lyon in May.", "speaker": "Ana", "session_id": "s1"},
            {"content": "Ana adopted a cat named Tom.", "speaker": "Ana", "session_id": "s1"},
        ]
    }
    assert api.client.post(f"{base}/episodes", json=body, headers=headers).status_code == 201
    used = set(re.findall(r"\b(?:event|episode|hit|f|fact|entity)\.([a-z_]+)", SCRIPT))
    events = api.client.get(f"{base}/events?limit=100&offset=0", headers=headers).json()
    event = events["items"][0]
    assert {"started_at", "ended_at", "session_id", "title", "episode_ids"} <= event.keys()
    episode = api.client.get(f"{base}/episodes/{event['episode_ids'][0]}", headers=headers)
    assert {"occurred_at", "speaker", "content"} <= episode.json().keys()
    entities = api.client.get(f"{base}/entities?limit=150", headers=headers).json()["items"]
    assert "Ana" in {e["name"] for e in entities}
    facts = api.client.get(f"{base}/facts?limit=500", headers=headers).json()["items"]
    assert facts and {"subject", "object", "statement", "invalid_at"} <= facts[0].keys()
    timeline = api.client.get(f"{base}/entities/Ana/timeline", headers=headers).json()["items"]
    assert timeline and {"valid_at", "invalid_at", "statement"} <= timeline[0].keys()
    hits = api.client.post(f"{base}/search", json={"query": "Lyon", "limit": 20}, headers=headers)
    hit = hits.json()[0]
    assert {"occurred_at", "session_id", "speaker", "text", "score", "ranks"} <= hit.keys()
    every = event.keys() | episode.json().keys() | facts[0].keys() | hit.keys() | {"name"}
    assert used <= every, used - every
