"""Property tests: namespace isolation and lossless export/import."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from memstrata import Memory
from memstrata.testing import HashEmbedder

names = st.sampled_from(["a", "b", "c"])
NO_NUL = st.characters(codec="utf-8", exclude_characters="\x00")  # NUL is refused
words = st.text(
    alphabet=st.characters(codec="utf-8", categories=["L", "N", "P", "Zs", "So"]),
    min_size=1,
    max_size=60,
).filter(lambda s: s.strip() != "")
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**53), 2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(alphabet=NO_NUL, max_size=20),
)
metadata = st.dictionaries(st.text(NO_NUL, min_size=1, max_size=10), json_scalars, max_size=4)
times = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
)
messages = st.fixed_dictionaries(
    {"content": words},
    optional={
        "speaker": st.sampled_from(["Ana", "Bo"]),
        "occurred_at": times,
        "session_id": st.sampled_from(["s1", "s2"]),
        "metadata": metadata,
    },
)
writes = st.lists(
    st.tuples(names, st.lists(messages, min_size=1, max_size=5)), min_size=1, max_size=6
)
SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(writes=writes, query=words)
def test_search_and_get_never_cross_namespaces(
    fresh_store: Callable[[], str], writes: list[tuple[str, list[dict[str, object]]]], query: str
) -> None:
    with Memory(fresh_store(), embedder=HashEmbedder()) as memory:
        owner: dict[str, str] = {}
        for namespace, batch in writes:
            for episode in memory.add(batch, namespace=namespace):
                owner[episode.id] = namespace
        for namespace in ("a", "b", "c"):
            for hit in memory.search(query, namespace=namespace, limit=50):
                assert owner[hit.id] == namespace == hit.namespace
            ids_elsewhere = [i for i, ns in owner.items() if ns != namespace]
            assert memory.store.episodes.get(namespace, ids_elsewhere) == []


@SETTINGS
@given(writes=writes)
def test_export_then_import_reproduces_every_episode(
    fresh_store: Callable[[], str], writes: list[tuple[str, list[dict[str, object]]]]
) -> None:
    with Memory(fresh_store(), embedder=HashEmbedder()) as source:
        for namespace, batch in writes:
            source.add(batch, namespace=namespace)
        dump = io.StringIO()
        count = source.export(dump)
        originals = {
            ns: list(source.store.episodes.iterate(ns, True)) for ns in source.namespaces()
        }
    with Memory(fresh_store(), embedder=HashEmbedder()) as target:
        report = target.import_(io.StringIO(dump.getvalue()))
        assert (report.added, report.skipped) == (count, 0)
        copies = {ns: list(target.store.episodes.iterate(ns, True)) for ns in target.namespaces()}
    assert copies == originals
