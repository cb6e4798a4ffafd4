"""The web inspector: served without a key under a strict policy, rendering data
only as text, and calling routes that exist with the fields it reads."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from importlib import resources
from pathlib import Path

import pytest
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


def test_no_viewer_page_loads_scripts_from_elsewhere(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as client:
        assert client.get("/docs").status_code == 404
        assert client.get("/redoc").status_code == 404
        assert client.get("/openapi.json").status_code == 200
        for name in ("/inspector", "/inspector.js", "/inspector.css"):
            text = client.get(name).text.replace("http://www.w3.org/2000/svg", "")
            assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", text), name


def test_a_long_word_wraps_instead_of_widening_the_page() -> None:
    css = (resources.files("memstrata.server") / "static" / "inspector.css").read_text()
    assert re.search(r"main\s*\{[^}]*overflow-wrap:\s*anywhere", css)


GRAPH_CHECK = """
const names = [];
for (let i = 0; i < 60; i++) names.push("Entity " + i + " with a long name " + "x".repeat(i));
const links = names.slice(1).map((n, i) => [names[i % 7], n]);
const at = layout(names, links, 900, 600);
const degree = new Map();
for (const [a, b] of links) for (const n of [a, b]) degree.set(n, (degree.get(n) || 0) + 1);
const placed = placeLabels(names, at, degree, 900, 600);
const boxes = [];
for (const [name, spot] of placed) {
  const w = shortName(name).length * LABEL.charWidth;
  const x = spot.anchor === "start" ? spot.x : spot.anchor === "end" ? spot.x - w : spot.x - w / 2;
  boxes.push({ x, y: spot.y - LABEL.height + 2, w, h: LABEL.height });
}
const dots = names.map((n) => ({ x: at.get(n).x - 5, y: at.get(n).y - 5, w: 10, h: 10, owner: n }));
console.log(JSON.stringify({
  placed: placed.size,
  longest: Math.max(...[...placed.keys()].map((n) => shortName(n).length)),
  outside: boxes.filter((b) => b.x < 0 || b.y < 0 || b.x + b.w > 900 || b.y + b.h > 600).length,
  overlapping: boxes.filter((a, i) => boxes.some((b, j) => i !== j && overlaps(a, b))).length,
  onDots: [...placed.keys()].filter(
    (n, i) => dots.some((d) => d.owner !== n && overlaps(boxes[i], d))).length,
}));
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to run the page's script")
def test_graph_labels_stay_inside_the_canvas_and_never_overlap(tmp_path: Path) -> None:
    start = SCRIPT.index("// -- graph")
    graph = SCRIPT[start : SCRIPT.index("async function loadGraph")]
    script = tmp_path / "graph.js"
    script.write_text(graph + GRAPH_CHECK)
    run = subprocess.run(["node", str(script)], capture_output=True, text=True, check=True)
    result = json.loads(run.stdout)
    assert result["placed"] >= 10 and result["longest"] <= 24
    assert result["outside"] == 0 and result["overlapping"] == 0 and result["onDots"] == 0
