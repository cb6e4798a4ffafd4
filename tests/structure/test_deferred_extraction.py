"""Extraction and embedding off the add() path (MEMSTRATA_EXTRACT_ON_ADD=false,
MEMSTRATA_EMBED_ON_ADD=false): add() stores and queues, search finds the words
at once, and the worker thread, a `memstrata worker` process or flush()
extracts what was queued and fills the vectors."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from memstrata import Memory, Settings
from memstrata.testing import HashEmbedder
from tests.conftest import T0

MESSAGES = [
    {"content": "I moved to Lyon last spring.", "speaker": "Ana"},
    {"content": "My sister Clara works at Bosch.", "speaker": "Ana"},
]


def deferred(where: str | Path, **overrides: object) -> Memory:
    settings = Settings.load({}, path=str(where), extract_on_add=False, **overrides)
    return Memory(settings=settings, embedder=HashEmbedder())


def queued(memory: Memory) -> int:
    return sum(len(memory.store.structure.queued(ns, 1000)) for ns in memory.namespaces())


def wait_until(condition: object, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_add_queues_search_finds_words_and_flush_extracts(where: str) -> None:
    with deferred(where) as memory:
        memory.add(MESSAGES, occurred_at=T0)
        assert queued(memory) == 2 and memory.facts() == []
        assert "Lyon" in memory.search("where did Ana move?", limit=1)[0].text
        memory.flush()
        assert queued(memory) == 0
        assert {(f.predicate, f.object) for f in memory.facts()} >= {("lives_in", "Lyon")}


def test_the_worker_thread_extracts_what_add_queued(where: str) -> None:
    with deferred(where) as memory:
        memory.start_worker(poll_s=0.02)
        memory.add(MESSAGES, occurred_at=T0, namespace="a")
        memory.add(MESSAGES[:1], occurred_at=T0, namespace="b")
        wait_until(lambda: queued(memory) == 0)
        assert memory.facts(namespace="a") and memory.facts(namespace="b")
        assert {e.name for e in memory.entities(namespace="a")} >= {"Ana", "Clara", "Bosch"}


def test_a_worker_process_extracts_for_another_process(tmp_path: Path) -> None:
    path = tmp_path / "memory.db"
    with deferred(path) as memory:
        memory.add(MESSAGES, occurred_at=T0)
    env = {**os.environ, "MEMSTRATA_EMBEDDER": "hash"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "memstrata", "--db", str(path), "worker", "--poll", "0.05"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        with deferred(path) as memory:
            wait_until(lambda: memory.facts() != [])
            memory.add([{"content": "I moved to Porto.", "speaker": "Ana"}], occurred_at=T0)
            wait_until(lambda: any(f.object == "Porto" for f in memory.facts()))
    finally:
        worker.send_signal(signal.SIGTERM)
        _, errors = worker.communicate(timeout=60)
    assert worker.returncode == 0, errors
    assert "worker stopped" in errors


def pending_vectors(memory: Memory) -> int:
    return sum(n.pending_vectors for n in memory.stats().namespaces)


def dense_texts(memory: Memory, query: str, namespace: str | None = None) -> list[str]:
    hits = memory.search(query, retrievers=["dense"], reinforce=False, namespace=namespace)
    return [h.text for h in hits]


def test_add_without_vectors_is_searchable_by_words_and_flush_embeds(where: str) -> None:
    with deferred(where, embed_on_add=False) as memory:
        memory.add(MESSAGES, occurred_at=T0)
        assert pending_vectors(memory) == 2
        assert "Lyon" in memory.search("where did Ana move?", limit=1)[0].text
        assert dense_texts(memory, "I moved to Lyon last spring.") == []
        assert memory.flush() == 2
        assert pending_vectors(memory) == 0
        assert "I moved to Lyon last spring." in dense_texts(memory, "I moved to Lyon last spring.")
        assert memory.facts() != []


def test_the_worker_fills_vectors_past_its_mark_and_rescans(
    where: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with deferred(where, embed_on_add=False) as memory:
        memory.start_worker(poll_s=0.02)
        memory.add(MESSAGES, occurred_at=T0, namespace="a")
        wait_until(lambda: pending_vectors(memory) == 0 and queued(memory) == 0)
        memory.stop_worker()
        assert "I moved to Lyon last spring." in dense_texts(
            memory, "I moved to Lyon last spring.", "a"
        )
        # vectors the mark has passed (a late commit, a failed embedding) wait for a rescan
        memory.store.vectors.drop_all()
        monkeypatch.setattr("memstrata.parts.writing.RESCAN_VECTORS_S", 3600.0)
        memory._writer.vectors_scanned = time.monotonic()
        assert memory._work_queued() == 0
        monkeypatch.setattr("memstrata.parts.writing.RESCAN_VECTORS_S", 0.0)
        assert memory._work_queued() == 2
        assert pending_vectors(memory) == 0
