"""SIGKILL a writer at random moments (on a SQLite file, and as a PostgreSQL
client); nothing acknowledged may be lost."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from memstrata import Memory
from memstrata.index import analyzer
from memstrata.index.namespace_index import Selection
from memstrata.messages import index_text
from memstrata.testing import HashEmbedder

ROUNDS = 25
WRITER = Path(__file__).resolve().parent / "crash_writer.py"
ROOT = Path(__file__).resolve().parent.parent


def run_round(db: str, round_id: int, rng: random.Random) -> tuple[dict[str, str], set[str]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, str(WRITER), db, str(round_id), str(rng.randint(0, 10**9))],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(rng.uniform(0.0, 0.4))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    acknowledged: dict[str, str] = {}
    deleted: set[str] = set()
    for line in proc.stdout.read().splitlines(keepends=True):
        if not line.endswith("\n"):
            continue  # the kill cut this line short: only whole lines acknowledge
        parts = line.split()
        if parts and parts[0] == "deleted":
            deleted.add(parts[2])
        elif len(parts) > 1:
            acknowledged.update({eid: parts[0] for eid in parts[1:]})
    return acknowledged, deleted


@pytest.mark.slow
def test_sigkill_loses_no_acknowledged_episode(where: str) -> None:
    db = where
    rng = random.Random(20261127)
    acknowledged: dict[str, str] = {}
    deleted: set[str] = set()
    for round_id in range(ROUNDS):
        acked, gone = run_round(db, round_id, rng)
        acknowledged.update(acked)
        deleted |= gone
    assert len(acknowledged) > ROUNDS  # the writer really wrote between kills

    with Memory(db, embedder=HashEmbedder()) as memory:
        assert memory.store.integrity_ok()
        for namespace in ("alpha", "beta"):
            wanted = [eid for eid, ns in acknowledged.items() if ns == namespace]
            found = {e.id for e in memory.store.episodes.get(namespace, wanted)}
            assert found == set(wanted), f"lost {set(wanted) - found}"
            assert deleted & found <= {
                e.id for e in memory.store.episodes.iterate(namespace, True) if e.is_deleted
            }
            episodes = list(memory.store.episodes.iterate(namespace, include_deleted=True))
            stats = memory.stats(namespace).namespaces[0]
            assert stats.vectors == len(episodes) and stats.pending_vectors == 0
            index = memory.index(namespace)
            assert index is not None and index.size == len(episodes)
            live = [e for e in episodes if not e.is_deleted]
            assert int(index.mask(Selection()).sum()) == len(live)
            rows = memory.store.episodes.by_seq(namespace, index.seq_at(np.arange(index.size)))
            assert len(rows) == len(live)
            for episode, stored_terms in rows.values():
                assert stored_terms.split() == analyzer.terms(
                    index_text(episode.speaker, episode.content)
                )
            sample = rng.sample(live, min(50, len(live)))
            for episode in sample:
                token = episode.content.split()[-1]
                hits = memory.search(token, namespace=namespace, retrievers=["bm25"], limit=50)
                assert episode.id in {h.id for h in hits}
