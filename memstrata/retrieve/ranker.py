"""A light learned reranker over recall features: logistic regression, blended
with gradient-boosted trees.

The linear part weighs each feature on its own and carries over between
benchmarks; the trees (trees.py) order the head of the list better, where
features interact. A score is the two logits mixed, ``blend`` of it from the
trees, which score only the linear part's best ``TREE_HEAD`` candidates.

The shipped model (``ranker.json`` beside this module) was fitted on LoCoMo and
LongMemEval-dev together with ``memstrata bench ranker --save-model``; that
bench also reports figures held out across and within the two benchmarks.
Fitting is plain Newton's method with an L2 penalty for the linear part and
histogram boosting for the trees, in numpy. A model without trees (an older
file, or one fitted for another embedder) is linear alone.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from memstrata.retrieve.trees import Forest

DEFAULT_MODEL = Path(__file__).with_name("ranker.json")
_PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
# The trees reorder the linear part's best TREE_HEAD candidates; the rest keep
# the linear order below them. Scoring every candidate of a pool (about 250)
# costs twice as much and changed the top 20 of 14 of 2,215 benchmark questions.
TREE_HEAD = 128


def shipped_model(embedder: str) -> Path:
    """The shipped ranker fitted with ``embedder``'s vectors (``ranker-<name>.json``
    beside this module), else the one fitted with the static model: the
    dense features of two embedders are scaled differently."""
    if not _PLAIN_NAME.fullmatch(embedder):  # "org/model:v1" names no file here
        return DEFAULT_MODEL
    own = DEFAULT_MODEL.with_name(f"ranker-{embedder}.json")
    return own if own.is_file() else DEFAULT_MODEL


@dataclass(frozen=True, slots=True)
class Ranker:
    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float
    trees: Forest | None = None  # split on the columns of ``features``
    blend: float = 0.0  # the trees' share of a score

    def score(self, matrix: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
        """Logits for rows of ``matrix`` whose columns are ``names``."""
        if names != self.features:
            index = {name: i for i, name in enumerate(names)}
            columns = [index.get(name) for name in self.features]
            aligned = np.tile(self.mean, (len(matrix), 1))  # a missing feature adds nothing
            for j, column in enumerate(columns):
                if column is not None:
                    aligned[:, j] = matrix[:, column]
            matrix = aligned
        linear: np.ndarray = ((matrix - self.mean) / self.scale) @ self.weights + self.bias
        if self.trees is None or self.blend <= 0.0:
            return linear
        if len(linear) <= TREE_HEAD:
            trees = self.trees.predict(matrix)
        else:
            head = np.argpartition(-linear, TREE_HEAD - 1)[:TREE_HEAD]
            scored = self.trees.predict(matrix[head])
            trees = np.full(len(linear), scored.min())  # below the head, in linear order
            trees[head] = scored
        scores: np.ndarray = (1.0 - self.blend) * linear + self.blend * trees
        return scores

    def with_trees(self, trees: Forest, blend: float) -> Ranker:
        if not 0.0 <= blend <= 1.0:
            raise ValueError("a ranker's blend is a share between 0 and 1")
        if not trees.uses(len(self.features)):
            raise ValueError("a ranker's trees split on a feature it does not have")
        return Ranker(self.features, self.mean, self.scale, self.weights, self.bias, trees, blend)

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "features": list(self.features),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "weights": self.weights.tolist(),
            "bias": self.bias,
        }
        if self.trees is not None:
            data |= {"blend": self.blend, "trees": self.trees.to_json()}
        return data

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Ranker:
        features, bias = data["features"], data["bias"]
        if not isinstance(features, list) or not all(isinstance(f, str) for f in features):
            raise ValueError("a ranker's features are a list of names")
        if not isinstance(bias, int | float):
            raise ValueError("a ranker's bias is a number")
        mean, scale, weights = (
            np.asarray(data[k], dtype=np.float64) for k in ("mean", "scale", "weights")
        )
        if any(c.shape != (len(features),) for c in (mean, scale, weights)):
            raise ValueError("a ranker has one mean, scale and weight per feature")
        linear = cls(tuple(features), mean, scale, weights, float(bias))
        if "trees" not in data:
            return linear
        blend = data.get("blend")
        if not isinstance(blend, int | float):
            raise ValueError("a ranker with trees says how much of a score is theirs")
        return linear.with_trees(Forest.from_json(data["trees"]), float(blend))

    @classmethod
    def load(cls, path: Path = DEFAULT_MODEL) -> Ranker:
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))

    def save(self, path: Path) -> None:
        """One line per field: the tree arrays are long."""
        fields = [
            f" {json.dumps(key)}: {json.dumps(value, separators=(', ', ': '))}"
            for key, value in self.to_json().items()
        ]
        path.write_text("{\n" + ",\n".join(fields) + "\n}\n", encoding="utf-8")


def fit(
    matrix: np.ndarray,
    labels: np.ndarray,
    features: tuple[str, ...],
    l2: float = 1.0,
    iterations: int = 25,
) -> Ranker:
    """Logistic regression on standardised features, by Newton's method."""
    mean = matrix.mean(axis=0)
    scale = matrix.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z = np.hstack([(matrix - mean) / scale, np.ones((len(matrix), 1))])
    w = np.zeros(z.shape[1])
    penalty = l2 * np.eye(len(w))
    penalty[-1, -1] = 0.0
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(z @ w, -30, 30)))
        gradient = z.T @ (p - labels) + penalty @ w
        hessian = (z * (p * (1 - p))[:, None]).T @ z + penalty
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if float(np.abs(step).max()) < 1e-6:
            break
    return Ranker(features, mean, scale, w[:-1].copy(), float(w[-1]))
