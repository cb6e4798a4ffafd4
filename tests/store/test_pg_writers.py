"""PostgreSQL: writers of different namespaces do not wait for each other;
writers of one namespace, and writes of the whole store, still take turns."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from memstrata.model import Episode
from memstrata.store import open_store
from memstrata.store.base import NewEpisode
from memstrata.store.postgres.store import PostgresStore
from memstrata.testing.pg import new_database
from memstrata.timeutil import now

WAIT_S = 30.0


def _episode(namespace: str, text: str) -> NewEpisode:
    at = now()
    return NewEpisode(
        Episode(id=text, namespace=namespace, content=text, occurred_at=at, recorded_at=at),
        terms=text,
        vector=None,
    )


@pytest.fixture
def two_processes(pg_server: Any) -> Iterator[tuple[PostgresStore, PostgresStore, str]]:
    url = new_database(pg_server)
    first, second = open_store(url), open_store(url)  # a writer connection each
    assert isinstance(first, PostgresStore) and isinstance(second, PostgresStore)
    yield first, second, url
    first.close()
    second.close()


def _waiting_for_a_lock(url: str) -> bool:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        ).fetchone()
    return row is not None and int(row[0]) > 0


def _write_in_thread(store: PostgresStore, namespace: str, text: str) -> threading.Event:
    done = threading.Event()

    def write() -> None:
        store.episodes.add(namespace, [_episode(namespace, text)], None)
        done.set()

    threading.Thread(target=write, daemon=True).start()
    return done


def test_a_write_to_another_namespace_does_not_wait(
    two_processes: tuple[PostgresStore, PostgresStore, str],
) -> None:
    first, second, url = two_processes
    first.episodes.add("a", [_episode("a", "setup-a")], None)
    second.episodes.add("b", [_episode("b", "setup-b")], None)
    with first._db.write("hold a", "a"):  # a transaction of namespace a, held open
        other = _write_in_thread(second, "b", "b-while-a-writes")
        assert other.wait(WAIT_S)  # namespace b went ahead
        same = _write_in_thread(second, "a", "a-while-a-writes")
        deadline = time.monotonic() + WAIT_S
        while not _waiting_for_a_lock(url) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _waiting_for_a_lock(url) and not same.is_set()  # namespace a waits its turn
    assert same.wait(WAIT_S)
    assert [e.id for e in second.episodes.get("a", ["a-while-a-writes"])] == ["a-while-a-writes"]


def test_a_write_of_the_whole_store_waits_for_namespace_writers(
    two_processes: tuple[PostgresStore, PostgresStore, str],
) -> None:
    first, second, url = two_processes
    with first._db.write("hold a", "a"):
        whole = threading.Event()

        def write_meta() -> None:
            second.set_meta("note", "x")
            whole.set()

        threading.Thread(target=write_meta, daemon=True).start()
        deadline = time.monotonic() + WAIT_S
        while not _waiting_for_a_lock(url) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _waiting_for_a_lock(url) and not whole.is_set()
    assert whole.wait(WAIT_S)
