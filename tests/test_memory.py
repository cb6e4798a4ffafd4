"""Memory: the verbs, filters, provenance and cross-instance consistency."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from memstrata import (
    Conflict,
    EmbedderMismatch,
    Filters,
    Hit,
    InvalidInput,
    Memory,
    Message,
    NotFound,
)
from memstrata.testing import HashEmbedder
from tests.conftest import T0, T1, T2

CONVERSATION = [
    {
        "content": "I moved to Lyon last month",
        "speaker": "Ana",
        "occurred_at": T0,
        "session_id": "s1",
        "metadata": {"turn": 1},
    },
    {
        "content": "My sister Anna works at a bakery in Paris",
        "speaker": "Ana",
        "occurred_at": T0,
        "session_id": "s1",
        "metadata": {"turn": 2},
    },
    {
        "content": "I adopted a kitten called Pixel",
        "speaker": "Bo",
        "occurred_at": T1,
        "session_id": "s2",
        "metadata": {"turn": 3},
    },
    {
        "content": "We booked a trip to Japan in November",
        "speaker": "Ana",
        "occurred_at": T2,
        "session_id": "s3",
        "metadata": {"turn": 4, "topic": "travel"},
    },
]


def texts(hits: Sequence[Hit]) -> list[str]:
    return [h.text for h in hits]


def test_add_text_returns_a_stored_episode(memory: Memory) -> None:
    (episode,) = memory.add("I like green tea", speaker="Ana", occurred_at=T0, metadata={"a": 1})
    assert memory.get(episode.id) == episode
    assert episode.occurred_at == T0 and episode.recorded_at.tzinfo is not None
    assert episode.metadata == {"a": 1}


def test_occurred_at_defaults_to_recorded_at(memory: Memory) -> None:
    (episode,) = memory.add("no time given")
    assert episode.occurred_at == episode.recorded_at


def test_message_objects_and_dicts_mix_and_keyword_defaults_apply(memory: Memory) -> None:
    stored = memory.add(
        [Message(content="one", speaker="Ana"), {"content": "two", "session_id": "own"}],
        session_id="default-session",
        metadata={"source": "chat"},
    )
    assert [e.session_id for e in stored] == ["default-session", "own"]
    assert all(e.metadata == {"source": "chat"} for e in stored)


def test_caller_ids_make_add_idempotent(memory: Memory) -> None:
    memory.add([{"id": "m1", "content": "first"}])
    again = memory.add([{"id": "m1", "content": "first"}])
    assert again.already_present == ("m1",)
    with pytest.raises(Conflict):
        memory.add([{"id": "m1", "content": "first again"}])
    assert memory.stats().namespaces[0].episodes == 1
    assert memory.get("m1").content == "first"


def test_search_finds_by_words_and_explains_itself(memory: Memory) -> None:
    memory.add(CONVERSATION)
    hit = memory.search("sister bakery")[0]
    assert hit.text == "My sister Anna works at a bakery in Paris"
    assert hit.kind == "episode" and hit.episode_ids == (hit.id,)
    assert hit.ranks["bm25"] == 1 and hit.occurred_at == T0 and hit.session_id == "s1"
    assert hit.metadata == {"turn": 2}


def test_search_indexes_the_speaker_name(memory: Memory) -> None:
    memory.add(CONVERSATION)
    assert memory.search("Bo", retrievers=["bm25"])[0].speaker == "Bo"


def test_filters_by_session_speaker_time_and_metadata(memory: Memory) -> None:
    memory.add(CONVERSATION)
    query = "Lyon sister kitten Japan trip"
    assert {h.session_id for h in memory.search(query, session_id="s2")} == {"s2"}
    assert {h.speaker for h in memory.search(query, speaker="Bo")} == {"Bo"}
    window = memory.search(query, since=T1, until=T2)
    assert [h.occurred_at for h in window] == [T1]
    assert texts(memory.search(query, metadata={"topic": "travel"})) == [
        "We booked a trip to Japan in November"
    ]
    assert memory.search(query, metadata={"turn": "4"}) == []
    assert memory.search(query, speaker="nobody") == []


def test_one_filters_record_serves_search_and_context(memory: Memory) -> None:
    memory.add(CONVERSATION)
    query = "Lyon sister kitten Japan trip"
    travel = Filters(metadata={"topic": "travel"})
    assert texts(memory.search(query, filters=travel)) == ["We booked a trip to Japan in November"]
    same = [
        (memory.search(query, session_id="s2"), Filters(session_id="s2")),
        (memory.search(query, speaker="Bo"), Filters(speaker="Bo")),
        (memory.search(query, since=T1, until=T2), Filters(since=T1, until=T2)),
    ]
    for hits, record in same:
        assert hits and hits == memory.search(query, filters=record)
    block = memory.context("trip", filters=travel, now=T2)
    assert "Japan" in block.text and "Lyon" not in block.text
    bo = memory.context(query, filters=Filters(speaker="Bo"), now=T2)
    quoted = [memory.get(r.id).speaker for r in bo.refs if r.kind == "episode"]
    assert quoted and set(quoted) == {"Bo"}
    with pytest.raises(InvalidInput) as both:
        memory.search(query, filters=travel, speaker="Bo")
    assert both.value.field == "filters" and "speaker" in str(both.value)
    with pytest.raises(InvalidInput) as bad:
        memory.search(query, filters=Filters(since="yesterday"))
    assert bad.value.field == "since"


def test_limit_caps_hits(memory: Memory) -> None:
    memory.add([f"note number {i} about tea" for i in range(30)])
    assert len(memory.search("tea", limit=7)) == 7


def test_deleted_episodes_leave_search_until_restored(memory: Memory) -> None:
    (episode,) = memory.add("the password hint is a blue whale")
    memory.delete(episode.id)
    assert memory.search("blue whale") == []  # the only episode is deleted
    assert memory.get(episode.id).is_deleted
    memory.restore(episode.id)
    assert texts(memory.search("blue whale")) == [episode.content]


def test_purge_removes_for_good(memory: Memory) -> None:
    (episode,) = memory.add("secret to forget")
    memory.add("something else")
    assert memory.purge(episode.id) == 1
    with pytest.raises(NotFound):
        memory.get(episode.id)
    assert "secret to forget" not in texts(memory.search("secret forget"))
    assert memory.stats().namespaces[0].vectors == 1


def test_purge_everything_empties_only_that_namespace(memory: Memory) -> None:
    memory.add("in a", namespace="a")
    memory.add("in b", namespace="b")
    assert memory.purge(namespace="a", everything=True) == 1
    assert memory.namespaces() == ["b"]
    assert memory.search("in a", namespace="a") == []
    with pytest.raises(InvalidInput):
        memory.purge()


def test_namespaces_are_isolated(memory: Memory) -> None:
    memory.add("alpha secret", namespace="a")
    (b,) = memory.add("beta", namespace="b")
    assert texts(memory.search("alpha secret", namespace="b")) == ["beta"]
    with pytest.raises(NotFound):
        memory.get(b.id, namespace="a")


def test_unknown_namespace_searches_empty(memory: Memory) -> None:
    assert memory.search("anything", namespace="never-used") == []


def test_export_import_round_trip_is_exact_and_idempotent(memory: Memory, tmp_path: Path) -> None:
    memory.add(CONVERSATION, namespace="a")
    memory.add("other", namespace="b")
    gone = memory.search("kitten", namespace="a")[0]
    memory.delete(gone.id, namespace="a")
    dump = io.StringIO()
    assert memory.export(dump) == 5
    with Memory(tmp_path / "copy.db", embedder=HashEmbedder()) as copy:
        report = copy.import_(io.StringIO(dump.getvalue()))
        assert (report.added, report.skipped) == (5, 0)
        again = copy.import_(io.StringIO(dump.getvalue()))
        assert (again.added, again.skipped) == (0, 5)
        second = io.StringIO()
        copy.export(second)
        assert second.getvalue() == dump.getvalue()
        assert "I adopted a kitten called Pixel" not in texts(copy.search("kitten", namespace="a"))


def test_import_validates_everything_before_writing(memory: Memory, tmp_path: Path) -> None:
    good = io.StringIO()
    memory.add("kept", namespace="a")
    memory.export(good)
    bad = good.getvalue() + '{"format": "memstrata.episode.v1", "id": "x"}\n'
    with Memory(tmp_path / "copy.db", embedder=HashEmbedder()) as copy:
        with pytest.raises(InvalidInput, match="line 2"):
            copy.import_(io.StringIO(bad))
        assert copy.namespaces() == []


def test_two_instances_on_one_store_see_each_others_writes(where: str) -> None:
    path = where
    with Memory(path, embedder=HashEmbedder()) as one, Memory(path, embedder=HashEmbedder()) as two:
        one.add("written by the first instance")
        assert texts(two.search("first instance")) == ["written by the first instance"]
        hit = two.search("first instance")[0]
        two.delete(hit.id)
        assert one.search("first instance") == []


def test_changing_the_embedder_is_an_error_until_reembedded(where: str) -> None:
    path = where
    with Memory(path, embedder=HashEmbedder(dimensions=64)) as mem:
        mem.add("tea with lemon")
    with pytest.raises(EmbedderMismatch):
        Memory(path, embedder=HashEmbedder(dimensions=32))
    with Memory(path, embedder=HashEmbedder(dimensions=32), on_model_change="reembed") as mem:
        assert mem.stats().embedder == "hash-32"
        assert mem.stats().namespaces[0].pending_vectors == 0
        assert mem.search("lemon", retrievers=["dense"])[0].text == "tea with lemon"


def test_stats_counts(memory: Memory) -> None:
    memory.add(CONVERSATION)
    (ns,) = memory.stats().namespaces
    assert (ns.episodes, ns.sessions, ns.vectors, ns.pending_vectors) == (4, 3, 4, 0)
    assert ns.first_occurred_at == T0 and ns.last_occurred_at == T2


def test_default_embedder_finds_paraphrases(default_memory_path: Path) -> None:
    with Memory(default_memory_path) as mem:
        mem.add(CONVERSATION)
        hit = mem.search("Which pet did Bo get?", retrievers=["dense"])[0]
        assert hit.text == "I adopted a kitten called Pixel"
        assert (mem.embedder.name, mem.embedder.dimensions) == ("minilm-static-256", 256)


def test_large_namespaces_replay_in_pages(where: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("memstrata.parts.recall.REPLAY_PAGE", 3)
    with Memory(where, embedder=HashEmbedder()) as mem:
        stored = mem.add([f"paged message {i}" for i in range(10)])
        mem.delete(stored[4].id)
        hits = mem.search("paged message", limit=20)
        assert sorted(h.id for h in hits) == sorted(e.id for i, e in enumerate(stored) if i != 4)


def test_stored_ids_are_not_embedded_again(where: str) -> None:
    class Counting(HashEmbedder):
        def __init__(self) -> None:
            super().__init__()
            self.embedded: list[str] = []

        def embed_array(self, texts: Sequence[str]) -> np.ndarray:
            self.embedded.extend(texts)
            return super().embed_array(texts)

    embedder = Counting()
    batch = [{"id": f"e{i}", "content": f"turn number {i}"} for i in range(4)]
    with Memory(where, embedder=embedder) as mem:
        first = mem.add(batch[:3])
        embedder.embedded.clear()
        again = mem.add(batch)
        assert [e.id for e in again] == ["e0", "e1", "e2", "e3"] and again[:3] == first
        assert [t for t in embedder.embedded if "turn number" in t] == ["turn number 3"]
