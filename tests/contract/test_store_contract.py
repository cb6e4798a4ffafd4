"""The Store contract: every backend must pass these unchanged."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from memstrata.errors import Conflict, NotFound, StoreError
from memstrata.model import Episode
from memstrata.store.base import NewEpisode, Store
from tests.conftest import T0, T1

MODEL = "test-model"


def episode(
    eid: str, namespace: str = "ns", content: str = "hello world", **extra: object
) -> Episode:
    fields: dict[str, object] = {
        "id": eid,
        "namespace": namespace,
        "content": content,
        "occurred_at": T0,
        "recorded_at": T1,
        "session_id": "s1",
        "speaker": "Ana",
        "role": "user",
        "metadata": {"k": "v", "n": 1},
    }
    fields.update(extra)
    return Episode(**fields)  # type: ignore[arg-type]


def vector(seed: int) -> bytes:
    v = np.random.default_rng(seed).standard_normal(4).astype(np.float32)
    return (v / np.linalg.norm(v)).tobytes()


def add(store: Store, *episodes: Episode, with_vectors: bool = True) -> list[Episode]:
    items = [
        NewEpisode(e, e.content.lower(), vector(i) if with_vectors else None)
        for i, e in enumerate(episodes)
    ]
    return store.episodes.add(episodes[0].namespace, items, MODEL)


def test_add_then_get_round_trips_every_field(store: Store) -> None:
    original = episode("e1", metadata={"nested": {"a": [1, 2.5, None, True]}, "s": "é"})
    add(store, original)
    assert store.episodes.get("ns", ["e1"]) == [original]


def test_add_is_idempotent_by_id(store: Store) -> None:
    add(store, episode("e1", content="first"))
    again = add(store, episode("e1", content="first"))
    assert again[0].content == "first"
    assert len(list(store.episodes.iterate("ns", include_deleted=True))) == 1


def test_other_content_under_a_stored_id_is_a_conflict_and_stores_nothing(
    store: Store,
) -> None:
    add(store, episode("e1", content="first"))
    with pytest.raises(Conflict):
        add(store, episode("e2", content="new"), episode("e1", content="second"))
    assert [e.id for e in store.episodes.iterate("ns", include_deleted=True)] == ["e1"]


def test_same_id_in_two_namespaces_are_two_episodes(store: Store) -> None:
    add(store, episode("e1", namespace="a", content="in a"))
    add(store, episode("e1", namespace="b", content="in b"))
    assert store.episodes.get("a", ["e1"])[0].content == "in a"
    assert store.episodes.get("b", ["e1"])[0].content == "in b"


def test_get_never_crosses_namespaces(store: Store) -> None:
    add(store, episode("e1", namespace="a"))
    assert store.episodes.get("b", ["e1"]) == []


def test_by_seq_returns_live_episodes_of_the_namespace_only(store: Store) -> None:
    add(store, episode("e1"), episode("e2"))
    add(store, episode("x1", namespace="other"))
    entries = store.changes.since("ns", 0, MODEL)
    seqs = [e.seq for e in entries]
    other_seq = store.changes.since("other", 0, MODEL)[0].seq
    store.episodes.set_deleted("ns", "e2", T1)
    found = store.episodes.by_seq("ns", [*seqs, other_seq])
    assert [ep.id for ep, _ in found.values()] == ["e1"]


def test_delete_and_restore_are_logged_and_reversible(store: Store) -> None:
    add(store, episode("e1"))
    deleted = store.episodes.set_deleted("ns", "e1", T1)
    assert deleted.deleted_at == T1
    restored = store.episodes.set_deleted("ns", "e1", None)
    assert restored.deleted_at is None
    assert [c.op for c in store.changes.since("ns", 0, MODEL)] == ["add", "delete", "restore"]


def test_delete_unknown_episode_raises_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        store.episodes.set_deleted("ns", "missing", T1)


def test_purge_removes_rows_and_vectors(store: Store) -> None:
    add(store, episode("e1"), episode("e2"))
    assert store.episodes.purge("ns", ["e1", "missing"]) == 1
    assert store.episodes.get("ns", ["e1"]) == []
    stats = store.namespaces.stats("ns", MODEL)
    assert stats is not None and stats.episodes == 1 and stats.vectors == 1
    assert store.changes.since("ns", 0, MODEL)[-1].op == "purge"
    assert store.integrity_ok()


def test_purge_namespace_leaves_other_namespaces(store: Store) -> None:
    add(store, episode("e1", namespace="a"))
    add(store, episode("e1", namespace="b"))
    assert store.episodes.purge_namespace("a") == 1
    assert store.namespaces.names() == ["b"]
    assert store.changes.since("a", 0, MODEL) == []
    assert len(store.episodes.get("b", ["e1"])) == 1


def test_iterate_pages_in_insertion_order(store: Store) -> None:
    eps = [episode(f"e{i:04d}", occurred_at=T0 + timedelta(minutes=i)) for i in range(2500)]
    add(store, *eps, with_vectors=False)
    store.episodes.set_deleted("ns", "e0003", T1)
    live = [e.id for e in store.episodes.iterate("ns", include_deleted=False)]
    every = [e.id for e in store.episodes.iterate("ns", include_deleted=True)]
    assert every == [e.id for e in eps]
    assert live == [e.id for e in eps if e.id != "e0003"]


def test_latest_is_the_session_tail_in_stored_order(store: Store) -> None:
    late = [episode(f"e{i}", occurred_at=T0 - timedelta(minutes=i)) for i in range(5)]
    add(store, *late, episode("other", session_id="s2"), with_vectors=False)
    store.episodes.set_deleted("ns", "e4", T1)
    assert [e.id for e in store.episodes.latest("ns", "s1", 3)] == ["e1", "e2", "e3"]
    assert [e.id for e in store.episodes.latest("ns", "s1", 10)] == ["e0", "e1", "e2", "e3"]
    assert store.episodes.latest("ns", "nope", 3) == []


def test_with_id_prefix_is_exact_keeps_deleted_and_stays_in_its_namespace(store: Store) -> None:
    ids = ["doc:ab:2", "doc:ab:1", "doc:abc:1", "DOC:AB:3", "doc:a", "x%doc:ab:"]
    add(store, *(episode(i, content=f"c{n}") for n, i in enumerate(ids)), with_vectors=False)
    add(store, episode("doc:ab:9", namespace="other"), with_vectors=False)
    store.episodes.set_deleted("ns", "doc:ab:1", T1)
    found = store.episodes.with_id_prefix("ns", "doc:ab:")
    assert [e.id for e in found] == ["doc:ab:2", "doc:ab:1"]  # stored order, deleted too
    assert found[1].is_deleted
    assert [e.id for e in store.episodes.with_id_prefix("ns", "%")] == []
    assert store.episodes.with_id_prefix("empty", "doc:") == []
    live = store.episodes.with_id_prefix("ns", "doc:", live_only=True)
    assert [e.id for e in live] == ["doc:ab:2", "doc:abc:1", "doc:a"]
    assert [e.id for e in store.episodes.with_id_prefix("ns", "doc:", limit=2)] == [
        "doc:ab:2",
        "doc:ab:1",
    ]


def test_matching_metadata_compares_values_and_types(store: Store) -> None:
    add(
        store,
        episode("e1", metadata={"n": 1, "flag": True}),
        episode("e2", metadata={"n": True}),
        episode("e3", metadata={"n": "1"}),
    )
    seq_of = {c.seq: i for i, c in enumerate(store.changes.since("ns", 0, MODEL))}
    found = store.episodes.matching_metadata("ns", {"n": 1})
    assert [seq_of[s] for s in found] == [0]
    assert len(store.episodes.matching_metadata("ns", {"n": 1, "flag": True})) == 1
    assert store.episodes.matching_metadata("ns", {"absent": 1}) == set()


def test_pending_vectors_then_put_logs_embed(store: Store) -> None:
    add(store, episode("e1"), with_vectors=False)
    pending = store.vectors.pending(MODEL, 10)
    assert [p.content for p in pending] == ["hello world"]
    store.vectors.put(MODEL, 4, [(p.namespace, p.seq, vector(1)) for p in pending])
    assert store.vectors.pending(MODEL, 10) == []
    last = store.changes.since("ns", 0, MODEL)[-1]
    assert last.op == "embed" and last.vector == vector(1)


def test_pending_vectors_start_after_the_given_seq(store: Store) -> None:
    add(store, episode("e1"), with_vectors=False)
    add(store, episode("e2", content="second"), with_vectors=False)
    first, second = store.vectors.pending(MODEL, 10)
    assert store.vectors.pending(MODEL, 10, after=first.seq) == [second]
    assert store.vectors.pending(MODEL, 10, after=second.seq) == []


def test_vectors_of_another_model_are_pending_and_not_replayed(store: Store) -> None:
    add(store, episode("e1"))
    assert len(store.vectors.pending("other-model", 10)) == 1
    assert store.changes.since("ns", 0, "other-model")[0].vector is None


def test_changes_since_carries_index_fields(store: Store) -> None:
    add(store, episode("e1", content="Hello", session_id="s9", speaker="Bo"))
    (entry,) = store.changes.since("ns", 0, MODEL)
    assert (entry.op, entry.terms, entry.session_id, entry.speaker) == ("add", "hello", "s9", "Bo")
    assert entry.vector == vector(0)
    assert store.changes.since("ns", entry.change_seq, MODEL) == []


def test_changes_since_pages_with_a_limit(store: Store) -> None:
    add(store, *(episode(f"e{i}") for i in range(5)))
    first = store.changes.since("ns", 0, MODEL, 2)
    rest = store.changes.since("ns", first[-1].change_seq, MODEL, 10)
    assert [len(first), len(rest)] == [2, 3]
    assert first[-1].change_seq < rest[0].change_seq


def test_namespace_stats_and_meta(store: Store) -> None:
    assert store.namespaces.stats("nope", MODEL) is None
    add(store, episode("e1", session_id="a"), episode("e2", session_id="b"))
    stats = store.namespaces.stats("ns", MODEL)
    assert stats is not None
    assert (stats.episodes, stats.sessions, stats.vectors, stats.pending_vectors) == (2, 2, 2, 0)
    store.set_meta("k", "v")
    assert store.get_meta("k") == "v" and store.get_meta("missing") is None
    assert store.bytes_on_disk() > 0 and store.integrity_ok()


def test_closed_store_raises_store_error(store: Store) -> None:
    store.close()
    with pytest.raises(StoreError):
        store.namespaces.names()


def test_empty_id_lists_find_nothing(store: Store) -> None:
    assert store.structure.entities("ns", ids=[]) == []
    assert store.structure.notes("ns", ids=[]) == []
    assert store.dynamics.summaries("ns", ids=[]) == []
    assert store.episodes.get("ns", []) == [] and store.episodes.seqs_of("ns", []) == set()
