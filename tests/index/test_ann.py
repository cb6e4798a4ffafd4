"""The HNSW side index: built in the background, kept in step, cached on disk."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from memstrata import Memory, Settings
from memstrata.index.ann import AnnIndex, Watermark
from memstrata.testing import HashEmbedder

WORDS = [
    "tea",
    "lyon",
    "paris",
    "cat",
    "run",
    "bake",
    "piano",
    "beach",
    "train",
    "garden",
    "novel",
    "chess",
    "soup",
    "river",
    "snow",
    "kite",
    "violin",
    "tomato",
    "hike",
    "lamp",
]


def texts(n: int, offset: int = 0) -> list[str]:
    return [
        f"{WORDS[i % 20]} {WORDS[(i // 20) % 20]} {WORDS[(i * 7) % 20]} note {i + offset}"
        for i in range(n)
    ]


def memory(path: Path, threshold: int = 100) -> Memory:
    settings = Settings.load({}, path=str(path), ann_threshold=threshold)
    return Memory(settings=settings, embedder=HashEmbedder(dimensions=32))


def test_ann_index_round_trip(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((500, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ann = AnnIndex(16)
    ann.add(np.arange(1, 501), vectors)
    seqs, scores = ann.search(vectors[41], 5)
    assert seqs[0] == 42 and abs(scores[0] - 1.0) < 1e-2
    ann.remove(42)
    assert 42 not in ann.search(vectors[41], 5)[0]
    mark = Watermark(created_us=7, model="m", change_seq=99)
    ann.save(tmp_path / "a.usearch", mark)
    loaded = AnnIndex.load(tmp_path / "a.usearch", 16, Watermark(7, "m", 0))
    assert loaded is not None and loaded[1] == 99 and len(loaded[0]) == 499
    assert AnnIndex.load(tmp_path / "a.usearch", 16, Watermark(8, "m", 0)) is None
    assert AnnIndex.load(tmp_path / "a.usearch", 16, Watermark(7, "other", 0)) is None
    assert AnnIndex.load(tmp_path / "missing.usearch", 16, Watermark(7, "m", 0)) is None


def test_every_vector_of_a_build_is_reachable(tmp_path: Path) -> None:
    vectors = HashEmbedder(dimensions=32).embed_array(texts(400))
    for _ in range(5):
        ann = AnnIndex(32)
        ann.add(np.arange(1, 401), vectors)
        found = [int(ann.search(vector, 1)[0][0]) for vector in vectors]
        assert found == list(range(1, 401))


def test_dense_search_uses_the_graph_and_agrees_with_exact(tmp_path: Path) -> None:
    with memory(tmp_path / "m.db") as mem:
        mem.add(texts(400))
        mem.flush()
        index = mem.index("default")
        assert index is not None and index.ann is not None and len(index.ann) == 400
        for text in texts(400)[::40]:
            assert mem.search(text, retrievers=["dense"], limit=1)[0].text == text
        exact = memory(tmp_path / "exact.db", threshold=10**6)
        exact.add(texts(400))
        overlap = [
            len(
                {h.text for h in mem.search(q, retrievers=["dense"])}
                & {h.text for h in exact.search(q, retrievers=["dense"])}
            )
            / 10
            for q in ["tea lyon", "cat piano", "snow river hike", "note 7"]
        ]
        exact.close()
        assert sum(overlap) / len(overlap) >= 0.9


def test_changes_after_the_build_reach_the_graph(tmp_path: Path) -> None:
    with memory(tmp_path / "m.db") as mem:
        mem.add(texts(300))
        mem.flush()
        (late,) = mem.add("a completely new zebra sentence")
        hit = mem.search("a completely new zebra sentence", retrievers=["dense"], limit=1)[0]
        assert hit.id == late.id
        mem.delete(late.id)
        assert late.id not in {h.id for h in mem.search("zebra sentence", retrievers=["dense"])}
        victim = mem.search(texts(300)[5], retrievers=["dense"], limit=1)[0]
        mem.purge(victim.id)
        assert victim.id not in {h.id for h in mem.search(victim.text, retrievers=["dense"])}


def test_narrow_filters_are_served_exactly(tmp_path: Path) -> None:
    with memory(tmp_path / "m.db") as mem:
        mem.add(texts(300))
        (kept,) = mem.add("violin lesson", session_id="only")
        mem.flush()
        hits = mem.search("tea lyon", retrievers=["dense"], session_id="only")
        assert [h.id for h in hits] == [kept.id]


def test_graph_is_cached_on_close_and_reloaded(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    with memory(path) as mem:
        mem.add(texts(300))
        mem.flush()
    side = Path(str(path) + ".side") / "ann" / "default.usearch"
    assert side.exists() and side.with_suffix(".json").exists()
    with memory(path) as mem:
        (new,) = mem.add("freshly added after reopening")
        index = mem.index("default")
        assert index is not None and index.ann is not None and index._ann_builder is None
        assert len(index.ann) == 301
        assert mem.search("freshly added after reopening", retrievers=["dense"])[0].id == new.id
        assert mem.stats().bytes_on_disk > side.stat().st_size


def test_purging_a_namespace_or_reembedding_drops_cached_graphs(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    side = Path(str(path) + ".side") / "ann"
    with memory(path) as mem:
        mem.add(texts(300), namespace="a")
        mem.add(texts(300), namespace="a.b")  # a name that starts like "a."
        mem.flush()
    names = ["a.b.json", "a.b.usearch", "a.json", "a.usearch"]
    assert sorted(p.name for p in side.iterdir()) == names
    with memory(path) as mem:
        mem.purge(namespace="a", everything=True)
        assert sorted(p.name for p in side.iterdir()) == ["a.b.json", "a.b.usearch"]
    settings = Settings.load({}, path=str(path), ann_threshold=100, on_model_change="reembed")
    with Memory(settings=settings, embedder=HashEmbedder(dimensions=16)):
        assert list(side.iterdir()) == []
