"""Bad input gets a clear typed error or a correct result, and loses nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from memstrata import Conflict, InvalidInput, Memory

FTS_AND_SQL = [
    '"unbalanced quote',
    "prefix*",
    "NEAR(a b)",
    "-excluded",
    "a AND b OR NOT c",
    "((unbalanced",
    "col:value",
    "'; DROP TABLE episodes; --",
    "^caret",
    "{braces}",
    "*",
    "SELECT * FROM episodes WHERE 1=1",
]


@pytest.mark.parametrize("content", ["", "   ", "\n\t "])
def test_empty_text_is_refused(memory: Memory, content: str) -> None:
    with pytest.raises(InvalidInput, match="empty"):
        memory.add(content)


def test_ten_megabyte_message_is_refused_with_the_limit(memory: Memory) -> None:
    with pytest.raises(InvalidInput, match="limit is 200000"):
        memory.add("x" * 10_000_000)
    assert memory.namespaces() == []


def test_bytes_are_refused_even_when_valid_utf8(memory: Memory) -> None:
    with pytest.raises(InvalidInput, match="decode bytes first"):
        memory.add("café".encode())  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="decode bytes first"):
        memory.add(b"caf\xc3(")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match=r"messages\[0\]\.content: must be a string"):
        memory.add([{"content": b"cafe"}])
    assert memory.namespaces() == []


@pytest.mark.parametrize(
    "content", ["\u200b", "\ufeff", "\u200b\u200d \ufeff", "\x07", "\x1b\x00", "a\x00b"]
)
def test_invisible_or_nul_text_is_refused(memory: Memory, content: str) -> None:
    with pytest.raises(InvalidInput, match=r"visible|NUL"):
        memory.add(content)
    with pytest.raises(InvalidInput, match="speaker"):
        memory.add("hello", speaker=content if content.strip() else "\u200b")
    assert memory.namespaces() == []


def test_control_characters_inside_visible_text_are_kept(memory: Memory) -> None:
    (episode,) = memory.add("price\x02 list \u200b and more\x90")
    assert memory.get(episode.id).content == "price\x02 list \u200b and more\x90"


def test_same_id_other_content_is_a_conflict_and_same_content_is_present(
    memory: Memory,
) -> None:
    first = memory.add([{"id": "d1", "content": "first"}])
    assert first.already_present == ()
    again = memory.add([{"id": "d1", "content": "first"}, {"id": "d2", "content": "more"}])
    assert again.already_present == ("d1",) and [e.id for e in again] == ["d1", "d2"]
    with pytest.raises(Conflict, match="'d1' is already stored") as caught:
        memory.add([{"id": "d3", "content": "new"}, {"id": "d1", "content": "second different"}])
    assert caught.value.field == "messages[1].id"
    with pytest.raises(Conflict):
        memory.add([{"id": "d1", "content": "first", "speaker": "Someone Else"}])
    assert memory.get("d1").content == "first"
    assert memory.stats().namespaces[0].episodes == 2  # d3 was not stored either


def test_a_batch_repeating_an_id_stores_it_once_or_conflicts(memory: Memory) -> None:
    added = memory.add([{"id": "x", "content": "one"}, {"id": "x", "content": "one"}])
    assert added.already_present == ("x",) and len(added) == 2
    with pytest.raises(Conflict, match="'y' comes twice in one batch") as caught:
        memory.add([{"id": "y", "content": "one"}, {"id": "y", "content": "two"}])
    assert caught.value.field == "messages[1].id"
    assert memory.stats().namespaces[0].episodes == 1


def test_lone_surrogates_are_refused(memory: Memory) -> None:
    with pytest.raises(InvalidInput, match="surrogate"):
        memory.add("bad \ud800 text")
    with pytest.raises(InvalidInput, match="surrogate"):
        memory.add("ok", metadata={"k": "\udfff"})


def test_naive_datetimes_are_refused(memory: Memory) -> None:
    with pytest.raises(InvalidInput, match="timezone-aware"):
        memory.add("hello", occurred_at=datetime(2023, 1, 1))
    with pytest.raises(InvalidInput, match="timezone-aware"):
        memory.add([{"content": "hello", "occurred_at": "2023-01-01T10:00:00"}])
    with pytest.raises(InvalidInput, match="timezone-aware"):
        memory.search("hello", since=datetime(2023, 1, 1))


def test_garbage_timestamps_are_refused(memory: Memory) -> None:
    with pytest.raises(InvalidInput, match="ISO 8601"):
        memory.add("hello", occurred_at="last tuesday")
    with pytest.raises(InvalidInput, match="datetime"):
        memory.add([{"content": "hello", "occurred_at": 12345}])


def test_far_past_and_future_dates_round_trip(memory: Memory) -> None:
    old = datetime(1, 1, 1, tzinfo=UTC)
    future = datetime(9999, 12, 31, 23, 59, tzinfo=UTC)
    memory.add(
        [{"content": "ancient", "occurred_at": old}, {"content": "future", "occurred_at": future}]
    )
    assert [h.occurred_at for h in memory.search("ancient", retrievers=["bm25"])] == [old]
    assert [h.occurred_at for h in memory.search("future", retrievers=["bm25"])] == [future]
    assert [
        h.text for h in memory.search("ancient future", until=datetime(1000, 1, 1, tzinfo=UTC))
    ] == ["ancient"]


def test_offsets_are_normalised_to_utc(memory: Memory) -> None:
    paris = timezone(timedelta(hours=2))
    (episode,) = memory.add("hello", occurred_at=datetime(2023, 6, 1, 12, 0, tzinfo=paris))
    assert episode.occurred_at == datetime(2023, 6, 1, 10, 0, tzinfo=UTC)
    assert episode.occurred_at.tzinfo == UTC


@pytest.mark.parametrize("name", ["", "has space", "slash/name", "x" * 200, "é", "-leading"])
def test_invalid_namespace_names_are_refused(memory: Memory, name: str) -> None:
    with pytest.raises(InvalidInput, match="namespace"):
        memory.add("hello", namespace=name)


@pytest.mark.parametrize("query", FTS_AND_SQL)
def test_query_syntax_is_just_text(memory: Memory, query: str) -> None:
    memory.add(["a b c excluded value prefix near", "select from episodes where"])
    memory.search(query)  # a correct (possibly empty) result, never a crash
    assert memory.stats().namespaces[0].episodes == 2


@pytest.mark.parametrize("content", FTS_AND_SQL)
def test_sql_and_fts_looking_text_is_stored_verbatim(memory: Memory, content: str) -> None:
    (episode,) = memory.add(content)
    assert memory.get(episode.id).content == content


def test_bad_metadata_is_refused(memory: Memory) -> None:
    with pytest.raises(InvalidInput, match="metadata"):
        memory.add("hello", metadata={"k": float("nan")})
    with pytest.raises(InvalidInput, match="metadata"):
        memory.add("hello", metadata={"k": object()})  # type: ignore[dict-item]
    with pytest.raises(InvalidInput, match="metadata"):
        memory.add("hello", metadata=["not", "a", "dict"])  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="metadata"):
        memory.add("hello", metadata={"big": "x" * 70_000})
    with pytest.raises(InvalidInput, match="keys must be strings"):
        memory.add("hello", metadata={1: "a"})  # type: ignore[dict-item]
    with pytest.raises(InvalidInput, match="NUL"):
        memory.add("hello", metadata={"k": ["fine", "nul\x00"]})
    assert memory.namespaces() == []


@pytest.mark.parametrize("depth", [33, 5_000, 100_000])
def test_deeply_nested_metadata_is_refused(memory: Memory, depth: int) -> None:
    nested: dict[str, object] = {}
    inner = nested
    for _ in range(depth):
        inner["a"] = {}
        inner = inner["a"]  # type: ignore[assignment]
    with pytest.raises(InvalidInput, match="deeper than 32"):
        memory.add("hello", metadata=nested)  # type: ignore[arg-type]
    assert memory.namespaces() == []
    (episode,) = memory.add("hello", metadata={"a": {"b": [{"c": 1}]}})
    assert episode.metadata == {"a": {"b": [{"c": 1}]}}


def test_bad_batch_is_refused_whole(memory: Memory) -> None:
    with pytest.raises(InvalidInput, match=r"messages\[1\]"):
        memory.add([{"content": "fine"}, {"content": ""}, {"content": "also fine"}])
    with pytest.raises(InvalidInput, match="unknown fields"):
        memory.add([{"content": "hi", "colour": "red"}])
    with pytest.raises(InvalidInput, match="1 to"):
        memory.add([])
    assert memory.namespaces() == []


@pytest.mark.parametrize("limit", [0, -1, 10_000, True])
def test_bad_limit_is_refused(memory: Memory, limit: int) -> None:
    with pytest.raises(InvalidInput, match="limit"):
        memory.search("x", limit=limit)


def test_bad_query_and_retrievers_are_refused(memory: Memory) -> None:
    with pytest.raises(InvalidInput, match="query"):
        memory.search("  ")
    with pytest.raises(InvalidInput, match="retrievers"):
        memory.search("x", retrievers=["pagerank"])


def test_emoji_code_and_mixed_scripts_are_stored_and_searchable(memory: Memory) -> None:
    contents = [
        "🎉🎉🎉",
        "```python\nprint('hi')\n```",
        "東京で寿司を食べた and then ramen",
        '{"json": true}',
    ]
    memory.add(contents)
    assert sorted(e.content for e in memory.store.episodes.iterate("default", True)) == sorted(
        contents
    )
    assert memory.search("ramen", retrievers=["bm25"])[0].text == contents[2]


def test_ids_and_choices_are_validated_before_lookup(memory: Memory) -> None:
    memory.add("hello")
    with pytest.raises(InvalidInput, match="record_id: is required"):
        memory.strength(None)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="episode_id: is required"):
        memory.get(None)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="kind: must be one of"):
        memory.notes(kind="bogus")
    with pytest.raises(InvalidInput, match="kind: must be one of"):
        memory.entities(kind="bogus")
    assert memory.notes(kind="fact") == memory.notes(kind="fact")
    for rounds in (-1, 4, 99, True, "2"):
        with pytest.raises(InvalidInput, match="rounds"):
            memory.search("hello", rounds=rounds)  # type: ignore[arg-type]
    assert memory.search("hello", rounds=3)
