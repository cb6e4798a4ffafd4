"""`memstrata bench load`: the REST service under concurrent writers and readers.

A server (`memstrata serve`, N worker processes over one SQLite file) runs in
its own process on loopback; this process runs W writer and R reader threads
with their own HTTP clients for a fixed time. Writers add one to three
messages at a time to their namespace; readers search, ask for context and
list notes and facts in the writers' namespaces. Afterwards every episode id
a 201 acknowledged is looked up in the store file: 0 may be missing. Errors
are non-2xx answers and transport failures. Latency per route: p50/p95/p99.
"""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console

from memstrata.bench.metrics import percentiles
from memstrata.bench.report import markdown_table, write_results
from memstrata.memory import Memory
from memstrata.server.keys import create_key
from memstrata.testing.pg import location
from memstrata.testing.synthetic import ChatGenerator

ADMIN = "load-bench-admin-key-0123456789abcdef"
NAMESPACES = 8
Record = tuple[str, int, float]  # route, status (0: transport error), milliseconds
SAMPLES: list[str] = []  # the first error answers, to say what went wrong


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_server(
    path: str | Path, port: int, workers: int, log_path: Path
) -> subprocess.Popen[bytes]:
    env = {**os.environ, "MEMSTRATA_ADMIN_KEY": ADMIN, "MEMSTRATA_RATE_PER_MINUTE": "1000000"}
    command = [sys.executable, "-m", "memstrata", "--db", str(path), "serve"]
    command += ["--port", str(port), "--workers", str(workers)]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log_file = log_path.open("wb")
    server = subprocess.Popen(command, env=env, stdout=log_file, stderr=log_file)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("the server did not become ready")


def _timed(
    records: list[Record],
    route: str,
    send: Callable[..., httpx.Response],
    url: str,
    **kwargs: Any,
) -> httpx.Response | None:
    start = time.perf_counter()
    try:
        response = send(url, **kwargs)
    except httpx.HTTPError:
        records.append((route, 0, 1000 * (time.perf_counter() - start)))
        return None
    records.append((route, response.status_code, 1000 * (time.perf_counter() - start)))
    if not 200 <= response.status_code < 300 and len(SAMPLES) < 5:
        SAMPLES.append(f"{route} {response.status_code}: {response.text[:300]}")
    return response


def _writer(
    base: str,
    headers: dict[str, str],
    number: int,
    until: float,
    acked: list[str],
    records: list[Record],
) -> None:
    gen = ChatGenerator(seed=100 + number)
    ns = f"tenant-{number % NAMESPACES}"
    sent = 0
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        while time.monotonic() < until:
            count = 1 + sent % 3
            messages = [
                {**m, "occurred_at": str(m["occurred_at"]).replace(" ", "T")}
                for m in gen.messages(sent, count)
            ]
            sent += count
            answer = _timed(
                records,
                "POST episodes",
                client.post,
                f"/v1/namespaces/{ns}/episodes",
                json={"messages": messages},
            )
            if answer is not None and answer.status_code == 201:
                acked.extend(e["id"] for e in answer.json())


def _reader(
    base: str,
    headers: dict[str, str],
    number: int,
    until: float,
    records: list[Record],
    written: int,
) -> None:
    """Reads in the ``written`` namespaces the writers fill (tenant-0 ...)."""
    rng = random.Random(number)
    queries = ChatGenerator(seed=900 + number).queries(200)
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        while time.monotonic() < until:
            ns = f"/v1/namespaces/tenant-{rng.randrange(written)}"
            query = rng.choice(queries)
            pick = rng.random()
            if pick < 0.6:
                _timed(records, "POST search", client.post, f"{ns}/search", json={"query": query})
            elif pick < 0.8:
                body = {"query": query, "token_budget": 500}
                _timed(records, "POST context", client.post, f"{ns}/context", json=body)
            elif pick < 0.9:
                _timed(records, "GET notes", client.get, f"{ns}/notes", params={"limit": 20})
            else:
                _timed(records, "GET facts", client.get, f"{ns}/facts", params={"limit": 20})


def _run_until_done(threads: list[threading.Thread]) -> float:
    """Start every thread, wait for all; the seconds they took."""
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def _stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(60)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def _by_route(records: list[Record]) -> dict[str, dict[str, Any]]:
    """Requests, errors and latency percentiles of each route."""
    by_route: dict[str, list[Record]] = defaultdict(list)
    for record in records:
        by_route[record[0]].append(record)
    return {
        route: {
            "requests": len(rows),
            "errors": sum(1 for _, status, _ in rows if not 200 <= status < 300),
            **percentiles([ms for *_, ms in rows]),
        }
        for route, rows in sorted(by_route.items())
    }


def _server_errors(log_path: Path) -> list[str]:
    """The first lines of the server's log that report an error."""
    lines = log_path.read_text(errors="replace").splitlines()
    return [line for line in lines if "Error" in line][:20]


def _still_stored(path: str | Path, acked: list[str]) -> int:
    """How many of the acknowledged episodes the store holds after the run."""
    with Memory(path) as memory:
        return sum(len(memory.store.episodes.get(f"tenant-{n}", acked)) for n in range(NAMESPACES))


def run_load(
    out_dir: Path,
    seconds: float,
    writers: int,
    readers: int,
    workers: int,
    console: Console,
    backend: str = "sqlite",
) -> dict[str, Any]:
    with (
        tempfile.TemporaryDirectory() as folder,
        location(Path(folder), backend, "load.db") as path,
    ):
        with Memory(path) as memory:
            _, token = create_key(memory.store, "load", ["*"])
        port = _free_port()
        log_path = Path(folder) / "server.log"
        server = _start_server(path, port, workers, log_path)
        base, headers = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {token}"}
        acked: list[str] = []
        per_thread: list[list[Record]] = [[] for _ in range(writers + readers)]
        until = time.monotonic() + seconds
        written = max(1, min(writers, NAMESPACES))
        threads = [
            threading.Thread(target=_writer, args=(base, headers, i, until, acked, per_thread[i]))
            for i in range(writers)
        ] + [
            threading.Thread(
                target=_reader,
                args=(base, headers, i, until, per_thread[writers + i], written),
            )
            for i in range(readers)
        ]
        elapsed = _run_until_done(threads)
        _stop(server)
        failures = _server_errors(log_path)
        found = _still_stored(path, acked)
    records = [r for rows in per_thread for r in rows]
    routes = _by_route(records)
    result = {
        "backend": backend,
        "server workers": workers,
        "writers": writers,
        "readers": readers,
        "seconds": elapsed,
        "requests": len(records),
        "requests/s": len(records) / elapsed,
        "errors": sum(v["errors"] for v in routes.values()),
        "acknowledged episodes": len(acked),
        "lost acknowledged episodes": len(acked) - found,
        "routes": routes,
        "error samples": list(SAMPLES),
        "server errors logged": failures,
        "at": datetime.now().isoformat(timespec="seconds"),
    }
    suffix = "" if backend == "sqlite" else f"-{backend}"
    markdown = render(result)
    write_results(out_dir, f"load{suffix}", result, markdown)
    console.print(markdown)
    return result


def render(result: dict[str, Any]) -> str:
    head = (
        f"### {result['writers']} writers + {result['readers']} readers for "
        f"{result['seconds']:.0f} s, {result['backend']}, {result['server workers']} server "
        f"workers\n\n{result['requests']} requests ({result['requests/s']:.0f}/s), "
        f"{result['errors']} errors, {result['acknowledged episodes']} episodes acknowledged, "
        f"{result['lost acknowledged episodes']} lost.\n\n"
    )
    rows = [
        [route, v["requests"], v["errors"], f"{v['p50']:.1f}", f"{v['p95']:.1f}", f"{v['p99']:.1f}"]
        for route, v in result["routes"].items()
    ]
    return head + markdown_table(
        ["route", "requests", "errors", "p50 ms", "p95 ms", "p99 ms"], rows
    )
