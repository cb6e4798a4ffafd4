"""Gradient-boosted regression trees for the ranker, fitted and scored in numpy.

The ranker's linear part weighs each feature on its own; the trees can weigh
one feature by another (what a turn's own match is worth depends on how its
session and its neighbours match). Fitting is histogram gradient boosting on
the logistic loss: each feature is cut into at most ``BINS`` value ranges,
each tree grows leaf by leaf, always splitting the leaf whose best split gains
most, and a leaf's value is a Newton step scaled by the learning rate. All
trees are scored together over a pool in a few array operations (``_Layout``).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

import numpy as np

BINS = 255
LEAF = -1  # the feature of a leaf node


@dataclass(frozen=True, slots=True)
class Forest:
    """Trees stored as flat node arrays. Node ``i`` sends a row whose value of
    ``feature[i]`` is at most ``threshold[i]`` to ``left[i]``, else to
    ``right[i]``; a leaf (``feature[i] == LEAF``) adds ``value[i]``. The
    arrays are checked, and laid out for scoring, when the forest is made."""

    base: float
    roots: np.ndarray  # int64, one per tree
    feature: np.ndarray  # int64
    threshold: np.ndarray  # float64
    left: np.ndarray  # int64
    right: np.ndarray  # int64
    value: np.ndarray  # float64
    layout: _Layout = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        size = len(self.feature)
        arrays = (self.roots, self.feature, self.threshold, self.left, self.right, self.value)
        if any(a.ndim != 1 for a in arrays) or any(len(a) != size for a in arrays[1:]):
            raise ValueError("a ranker's tree arrays have one entry per node")
        inner = self.feature != LEAF
        targets = np.concatenate([self.roots, self.left[inner], self.right[inner]])
        if targets.size and (targets.min() < 0 or targets.max() >= size):
            raise ValueError("a ranker's tree points outside its nodes")
        if inner.any() and self.feature[inner].min() < 0:
            raise ValueError("a ranker's tree splits on a negative column")
        object.__setattr__(self, "layout", _lay_out(self))

    def predict(self, matrix: np.ndarray) -> np.ndarray:
        """The summed tree outputs (a logit) for each row of ``matrix``."""
        return self.layout.predict(matrix)

    def uses(self, width: int) -> bool:
        """Whether every split reads a column of a ``width``-wide matrix."""
        inner = self.feature[self.feature != LEAF]
        return bool(inner.size == 0 or inner.max() < width)

    def to_json(self) -> dict[str, object]:
        return {
            "base": self.base,
            "roots": self.roots.tolist(),
            "feature": self.feature.tolist(),
            "threshold": self.threshold.tolist(),
            "left": self.left.tolist(),
            "right": self.right.tolist(),
            "value": self.value.tolist(),
        }

    @classmethod
    def from_json(cls, data: object) -> Forest:
        if not isinstance(data, dict):
            raise ValueError("a ranker's trees are an object")
        base = data.get("base")
        if not isinstance(base, int | float):
            raise ValueError("a ranker's trees have a base score")
        ints = [np.asarray(data.get(k, []), dtype=np.int64) for k in INT_FIELDS]
        floats = [np.asarray(data.get(k, []), dtype=np.float64) for k in FLOAT_FIELDS]
        roots, feature, left, right = ints
        threshold, value = floats
        return cls(float(base), roots, feature, threshold, left, right, value)


INT_FIELDS = ("roots", "feature", "left", "right")
FLOAT_FIELDS = ("threshold", "value")


@dataclass(frozen=True, slots=True)
class _Layout:
    """A forest laid out for scoring many rows at once (QuickScorer's layout):
    every split is tested on every row in one comparison; a failed test rules
    out the leaves left of it, and a tree's exit leaf is the leftmost one no
    failed test ruled out. Leaves are bits of an unsigned integer."""

    base: float
    feature: np.ndarray  # each split's column, a tree's splits side by side
    threshold: np.ndarray
    keep: np.ndarray  # bit set: the leaves a failed test leaves standing
    starts: np.ndarray  # where each tree's splits begin
    leaf_value: np.ndarray  # (trees, most leaves), in left-to-right order

    def predict(self, matrix: np.ndarray) -> np.ndarray:
        n = len(matrix)
        if n == 0 or len(self.starts) == 0:
            return np.full(n, self.base)
        failed = matrix[:, self.feature] > self.threshold
        every = self.keep.dtype.type(np.iinfo(self.keep.dtype).max)
        standing = np.where(failed, self.keep, every)
        exits = np.bitwise_and.reduceat(standing, self.starts, axis=1)
        lowest = exits & (~exits + exits.dtype.type(1))  # the leftmost standing leaf's bit
        leaf = np.log2(lowest).astype(np.int64)
        values = np.take_along_axis(self.leaf_value[None, :, :], leaf[:, :, None], axis=2)
        out: np.ndarray = values[:, :, 0].sum(axis=1) + self.base
        return out


def _lay_out(forest: Forest) -> _Layout:
    base = forest.base
    feature: list[int] = []
    threshold: list[float] = []
    keep: list[int] = []
    starts: list[int] = []
    leaf_values: list[list[float]] = []
    for root in forest.roots.tolist():
        leaves, splits = _walk(forest, root, set())
        if not splits:  # a tree without splits adds a constant
            base += float(forest.value[root])
            continue
        if len(leaves) > 64:
            raise ValueError("a ranker's tree has more than 64 leaves")
        position = {leaf: i for i, leaf in enumerate(leaves)}
        every = (1 << len(leaves)) - 1
        starts.append(len(feature))
        for node in splits:
            left_leaves, _ = _walk(forest, int(forest.left[node]), set())
            ruled_out = sum(1 << position[leaf] for leaf in left_leaves)
            feature.append(int(forest.feature[node]))
            threshold.append(float(forest.threshold[node]))
            keep.append(every & ~ruled_out)
        leaf_values.append([float(forest.value[leaf]) for leaf in leaves])
    widest = max((len(v) for v in leaf_values), default=1)
    table = np.zeros((len(leaf_values), widest))
    for t, values in enumerate(leaf_values):
        table[t, : len(values)] = values
    bits = next(b for b in (np.uint16, np.uint32, np.uint64) if np.iinfo(b).bits >= widest)
    return _Layout(
        base,
        np.asarray(feature, dtype=np.int64),
        np.asarray(threshold, dtype=np.float64),
        np.asarray(keep, dtype=np.uint64).astype(bits),
        np.asarray(starts, dtype=np.int64),
        table,
    )


def _walk(forest: Forest, node: int, seen: set[int]) -> tuple[list[int], list[int]]:
    """The leaves under ``node`` from left to right, and its splits (a node
    reached twice, which no fitted tree has, is refused)."""
    if node in seen:
        raise ValueError("a ranker's tree reaches a node twice")
    if len(seen) >= 2 * 64 - 1:
        raise ValueError("a ranker's tree has more than 64 leaves")
    seen.add(node)
    if forest.feature[node] == LEAF:
        return [node], []
    left_leaves, left_splits = _walk(forest, int(forest.left[node]), seen)
    right_leaves, right_splits = _walk(forest, int(forest.right[node]), seen)
    return left_leaves + right_leaves, [node, *left_splits, *right_splits]


@dataclass(frozen=True, slots=True)
class Growth:
    """How a forest is grown."""

    trees: int = 100
    leaves: int = 7
    rate: float = 0.1
    min_leaf: int = 200  # rows a leaf: larger leaves remember fewer questions
    l2: float = 0.0


def bin_edges(column: np.ndarray) -> np.ndarray:
    """At most ``BINS - 1`` cut points between a column's distinct values, at
    midpoints, so that equal values always share a bin."""
    distinct = np.unique(column)
    if len(distinct) > BINS:
        quantiles = np.quantile(column, np.linspace(0, 1, BINS), method="nearest")
        distinct = np.unique(quantiles)
    edges: np.ndarray = (distinct[:-1] + distinct[1:]) / 2.0
    return edges


class _Binned:
    """The fitting rows cut into bins: each row's bin per feature, the cut points
    (in the features' own units), and sums per (feature, bin) of any rows."""

    def __init__(self, matrix: np.ndarray) -> None:
        self.edges = [bin_edges(matrix[:, j]) for j in range(matrix.shape[1])]
        self.codes = np.stack(
            [np.searchsorted(e, matrix[:, j], side="left") for j, e in enumerate(self.edges)],
            axis=1,
        ).astype(np.int64)
        self.width = matrix.shape[1]
        self.cells = self.codes + np.arange(self.width) * BINS  # each (row, feature)'s cell

    def sums(self, rows: np.ndarray, g: np.ndarray, h: np.ndarray) -> np.ndarray:
        """(gradient, Hessian, rows) by feature and bin, over ``rows``."""
        flat = self.cells[rows].ravel()
        size = self.width * BINS
        sums = [
            np.bincount(flat, weights=np.repeat(w[rows], self.width), minlength=size)
            for w in (g, h)
        ]
        sums.append(np.bincount(flat, minlength=size).astype(np.float64))
        return np.stack(sums).reshape(3, self.width, BINS)


def _best_split(hist: np.ndarray, growth: Growth) -> tuple[float, int, int]:
    """(gain, feature, bin) of a node's best split: rows in bins up to ``bin``
    go left. A gain of 0 means no split is allowed."""
    g, h, n = (np.cumsum(part, axis=1) for part in hist)
    total_g, total_h, total_n = g[:, -1:], h[:, -1:], n[:, -1:]
    right_g, right_h, right_n = total_g - g, total_h - h, total_n - n
    lam = growth.l2
    with np.errstate(divide="ignore", invalid="ignore"):
        gain = g**2 / (h + lam) + right_g**2 / (right_h + lam) - total_g**2 / (total_h + lam)
    allowed = (n >= growth.min_leaf) & (right_n >= growth.min_leaf) & (h > 1e-9) & (right_h > 1e-9)
    gain = np.where(allowed & np.isfinite(gain), gain, 0.0)
    feature, cut = np.unravel_index(int(np.argmax(gain)), gain.shape)
    return float(gain[feature, cut]), int(feature), int(cut)


@dataclass(slots=True)
class _Node:
    rows: np.ndarray
    hist: np.ndarray
    index: int  # its place in the forest's node arrays


def grow(matrix: np.ndarray, labels: np.ndarray, growth: Growth = Growth()) -> Forest:
    """Gradient-boosted trees on the logistic loss of ``labels`` (0 or 1)."""
    binned = _Binned(matrix)
    rate = float(np.clip(labels.mean(), 1e-6, 1 - 1e-6))
    base = float(np.log(rate / (1 - rate)))
    raw = np.full(len(labels), base)
    nodes = _NodeArrays()
    roots: list[int] = []
    every_row = np.arange(len(labels))
    for _ in range(growth.trees):
        p = 1.0 / (1.0 + np.exp(-np.clip(raw, -30.0, 30.0)))
        g, h = p - labels, p * (1.0 - p)
        root = _Node(every_row, binned.sums(every_row, g, h), nodes.add())
        roots.append(root.index)
        for leaf in _grow_tree(root, binned, g, h, growth, nodes):
            step = -growth.rate * g[leaf.rows].sum() / (h[leaf.rows].sum() + growth.l2)
            nodes.value[leaf.index] = step
            raw[leaf.rows] += step
    return nodes.forest(base, roots)


def _grow_tree(
    root: _Node,
    binned: _Binned,
    g: np.ndarray,
    h: np.ndarray,
    growth: Growth,
    nodes: _NodeArrays,
) -> list[_Node]:
    """Splits leaves, best gain first, until ``growth.leaves``; returns the leaves."""
    leaves: list[_Node] = []
    heap: list[tuple[float, int, int, int, _Node]] = []

    def consider(node: _Node) -> None:
        gain, feature, cut = _best_split(node.hist, growth)
        if gain > 1e-12:
            heapq.heappush(heap, (-gain, node.index, feature, cut, node))
        else:
            leaves.append(node)

    consider(root)
    while heap and len(leaves) + len(heap) < growth.leaves:
        _, _, feature, cut, node = heapq.heappop(heap)
        goes_left = binned.codes[node.rows, feature] <= cut
        left_rows, right_rows = node.rows[goes_left], node.rows[~goes_left]
        smaller_left = len(left_rows) <= len(right_rows)
        small_hist = binned.sums(left_rows if smaller_left else right_rows, g, h)
        large_hist = node.hist - small_hist  # a parent's sums less one child's: the other's
        left_hist, right_hist = (
            (small_hist, large_hist) if smaller_left else (large_hist, small_hist)
        )
        left = _Node(left_rows, left_hist, nodes.add())
        right = _Node(right_rows, right_hist, nodes.add())
        nodes.split(node.index, feature, float(binned.edges[feature][cut]), left.index, right.index)
        consider(left)
        consider(right)
    return leaves + [entry[-1] for entry in heap]


class _NodeArrays:
    """The forest's node arrays while it grows."""

    def __init__(self) -> None:
        self.feature: list[int] = []
        self.threshold: list[float] = []
        self.left: list[int] = []
        self.right: list[int] = []
        self.value: list[float] = []

    def add(self) -> int:
        for column, blank in ((self.feature, LEAF), (self.left, 0), (self.right, 0)):
            column.append(blank)
        self.threshold.append(0.0)
        self.value.append(0.0)
        return len(self.feature) - 1

    def split(self, index: int, feature: int, threshold: float, left: int, right: int) -> None:
        self.feature[index], self.threshold[index] = feature, threshold
        self.left[index], self.right[index] = left, right

    def forest(self, base: float, roots: list[int]) -> Forest:
        ints = (np.asarray(c, dtype=np.int64) for c in (roots, self.feature, self.left, self.right))
        roots_a, feature, left, right = ints
        threshold = np.asarray(self.threshold, dtype=np.float64)
        value = np.asarray(self.value, dtype=np.float64)
        return Forest(base, roots_a, feature, threshold, left, right, value)
