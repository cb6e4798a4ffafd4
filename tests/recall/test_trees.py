"""The ranker's gradient-boosted trees: fitting, scoring, their file format."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from memstrata.retrieve.ranker import Ranker, fit
from memstrata.retrieve.trees import BINS, LEAF, Forest, Growth, bin_edges, grow

NAMES = ("a", "b", "c")


def walk(forest: Forest, row: np.ndarray) -> float:
    """One row through every tree, node by node: what predict() must agree with."""
    total = forest.base
    for root in forest.roots.tolist():
        node = root
        while forest.feature[node] != LEAF:
            below = row[forest.feature[node]] <= forest.threshold[node]
            node = int(forest.left[node] if below else forest.right[node])
        total += float(forest.value[node])
    return total


def crossed(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Evidence when a and b are both high or both low: no weighted sum says it."""
    rng = np.random.default_rng(seed)
    matrix = rng.normal(size=(n, 3))
    matrix[:, 2] = rng.integers(0, 3, size=n)  # a few distinct values
    labels = ((matrix[:, 0] > 0) == (matrix[:, 1] > 0)).astype(np.float64)
    return matrix, labels


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    positive, negative = scores[labels > 0], scores[labels == 0]
    return float((positive[:, None] > negative[None, :]).mean())


@pytest.fixture(scope="module")
def forest() -> Forest:
    matrix, labels = crossed(2000)
    return grow(matrix, labels, Growth(trees=40, leaves=7, rate=0.2, min_leaf=20))


def test_trees_learn_what_a_weighted_sum_cannot(forest: Forest) -> None:
    matrix, labels = crossed(1000, seed=1)  # rows the trees never saw
    linear = fit(*crossed(2000), NAMES)
    assert auc(linear.score(matrix, NAMES), labels) < 0.6
    assert auc(forest.predict(matrix), labels) > 0.95


def test_scoring_all_trees_at_once_agrees_with_walking_each(forest: Forest) -> None:
    matrix, _ = crossed(300, seed=2)
    matrix[:5] = forest.threshold[forest.feature != LEAF][:5, None]  # rows on a split's edge
    expected = np.array([walk(forest, row) for row in matrix])
    assert np.allclose(forest.predict(matrix), expected)
    assert forest.predict(np.zeros((0, 3))).shape == (0,)


def test_trees_keep_to_their_shape(forest: Forest) -> None:
    inner = forest.feature != LEAF
    leaves_per_tree = len(forest.feature) // len(forest.roots)
    assert leaves_per_tree <= 2 * 7 - 1  # at most 7 leaves, 6 splits
    assert set(forest.feature[inner].tolist()) <= {0, 1, 2}
    matrix, labels = crossed(2000)
    sparse = grow(matrix, labels, Growth(trees=3, leaves=7, min_leaf=900))
    assert (sparse.feature != LEAF).sum() <= 3  # no leaf under 900 rows: one split a tree


def test_bins_never_split_equal_values() -> None:
    column = np.array([3.0, 1.0, 1.0, 2.0, 3.0])
    assert bin_edges(column).tolist() == [1.5, 2.5]
    wide = np.random.default_rng(0).normal(size=10_000)
    edges = bin_edges(wide)
    assert len(edges) == BINS - 1 and np.all(np.diff(edges) > 0)
    assert bin_edges(np.ones(10)).size == 0


def test_a_blended_ranker_round_trips_and_matches_columns_by_name(
    forest: Forest, tmp_path: Path
) -> None:
    matrix, labels = crossed(100, seed=3)  # within the head: every row blended
    ranker = fit(matrix, labels, NAMES).with_trees(forest, 0.5)
    linear = fit(matrix, labels, NAMES)
    expected = 0.5 * linear.score(matrix, NAMES) + 0.5 * forest.predict(matrix)
    assert np.allclose(ranker.score(matrix, NAMES), expected)
    ranker.save(tmp_path / "r.json")
    again = Ranker.load(tmp_path / "r.json")
    assert again.blend == 0.5 and again.trees is not None
    assert np.array_equal(again.score(matrix, NAMES), ranker.score(matrix, NAMES))
    reordered = again.score(matrix[:, [2, 0, 1]], ("c", "a", "b"))
    assert np.allclose(reordered, ranker.score(matrix, NAMES))
    # a file without trees is the linear ranker it always was
    plain = json.loads((tmp_path / "r.json").read_text())
    del plain["trees"], plain["blend"]
    assert Ranker.from_json(plain).trees is None


def forest_json(**changes: object) -> dict[str, object]:
    """Two trees: a split on column 0 into two leaves, and one leaf alone."""
    data: dict[str, object] = {
        "base": 0.5,
        "roots": [0, 3],
        "feature": [0, LEAF, LEAF, LEAF],
        "threshold": [1.0, 0.0, 0.0, 0.0],
        "left": [1, 0, 0, 0],
        "right": [2, 0, 0, 0],
        "value": [0.0, -1.0, 1.0, 0.25],
    }
    return data | changes


def test_a_small_forest_scores_by_hand() -> None:
    forest = Forest.from_json(forest_json())
    scores = forest.predict(np.array([[0.0], [1.0], [1.5]]))
    assert scores.tolist() == [-0.25, -0.25, 1.75]  # 0.5 + 0.25 and -1 or +1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"left": [9, 0, 0, 0]}, "outside its nodes"),
        ({"roots": [0, -1]}, "outside its nodes"),
        ({"value": [0.0, 1.0]}, "one entry per node"),
        ({"left": [0, 0, 0, 0]}, "reaches a node twice"),
        ({"feature": [-3, LEAF, LEAF, LEAF]}, "negative column"),
        ({"base": "high"}, "base score"),
    ],
)
def test_a_broken_forest_is_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Forest.from_json(forest_json(**changes))


def test_a_ranker_refuses_trees_it_cannot_feed() -> None:
    matrix, labels = crossed(200)
    linear = fit(matrix, labels, NAMES)
    beyond = Forest.from_json(forest_json(feature=[5, LEAF, LEAF, LEAF]))
    with pytest.raises(ValueError, match="does not have"):
        linear.with_trees(beyond, 0.5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        linear.with_trees(Forest.from_json(forest_json()), 1.5)
    data = linear.with_trees(Forest.from_json(forest_json()), 0.5).to_json()
    del data["blend"]
    with pytest.raises(ValueError, match="how much of a score"):
        Ranker.from_json(data)


def test_the_shipped_ranker_blends_trees() -> None:
    shipped = Ranker.load()
    assert shipped.trees is not None and 0.0 < shipped.blend < 1.0
    assert shipped.trees.uses(len(shipped.features))


def test_trees_reorder_only_the_linear_head(forest: Forest) -> None:
    from memstrata.retrieve.ranker import TREE_HEAD

    matrix, labels = crossed(3 * TREE_HEAD, seed=4)
    linear = fit(matrix, labels, NAMES)
    ranker = linear.with_trees(forest, 0.5)
    plain = linear.score(matrix, NAMES)
    head = np.argsort(-plain)[:TREE_HEAD]
    rest = np.argsort(-plain)[TREE_HEAD:]
    scores = ranker.score(matrix, NAMES)
    full = 0.5 * plain + 0.5 * forest.predict(matrix)
    assert np.allclose(scores[head], full[head])  # the head: the whole blend
    assert scores[rest].max() <= scores[head].min()  # the rest stay below it
    assert np.all(np.diff(scores[rest]) <= 0)  # in the linear order
    small = matrix[:TREE_HEAD]  # a pool no larger than the head: every row blended
    assert np.allclose(ranker.score(small, NAMES), full[:TREE_HEAD])
