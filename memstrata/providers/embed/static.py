"""A static model distilled from all-MiniLM-L6-v2: the default embedder where
e5-small does not run fast, and the one for bulk imports on few cores
(thousands of texts a second). Its word table also drives query expansion.

Its weights ship inside this package (models/minilm-static-256, Apache-2.0),
so it loads offline, without PyTorch, in about a second.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

from memstrata.config import Settings
from memstrata.errors import MissingDependency
from memstrata.providers.embed.wordpiece import WordPieces
from memstrata.providers.registry import register_embedder

if TYPE_CHECKING:
    from model2vec import StaticModel

MODEL_DIR = Path(__file__).resolve().parent / "models" / "minilm-static-256"


@register_embedder("minilm-static")
class StaticEmbedder:
    """model2vec static embeddings: mean of per-token vectors, L2-normalised."""

    name = "minilm-static-256"
    dimensions = 256

    def __init__(self, settings: Settings | None = None, model_dir: Path = MODEL_DIR) -> None:
        try:
            from model2vec import StaticModel
        except ImportError as exc:  # pragma: no cover - a core dependency
            raise MissingDependency("core", "model2vec") from exc
        self._model: StaticModel = StaticModel.from_pretrained(str(model_dir))
        plain = self._model.token_mapping is None and self._model.weights is None
        self._pieces = WordPieces.of(model_dir / "tokenizer.json") if plain else None
        self._table = np.asarray(self._model.embedding, dtype=np.float32)

    def embed_batch(self, texts: Sequence[str]) -> list[list[float]]:
        vectors: list[list[float]] = self.embed_array(texts).tolist()
        return vectors

    def word_vectors(self) -> tuple[list[str], np.ndarray]:
        """The model's whole-word tokens (letters only, 3 or more) and their vectors,
        for query expansion in word space."""
        vocabulary = self._model.tokenizer.get_vocab()
        words = sorted(
            (w for w in vocabulary if w.isalpha() and w.isascii() and len(w) >= 3),
            key=vocabulary.__getitem__,
        )
        rows = np.array([vocabulary[w] for w in words], dtype=np.int64)
        return words, np.asarray(self._model.embedding[rows], dtype=np.float32)

    def embed_array(self, texts: Sequence[str]) -> np.ndarray:
        """The same vectors as a float32 matrix (the fast path used by Memory).

        The same as model2vec's ``encode``: each text cut to the model's length,
        tokenized without special tokens, unknown pieces dropped, the mean of
        its token vectors L2-normalised, rounded as the float16 model rounds.
        The means are one sparse product, and plain ASCII is tokenized by the
        memoised WordPieces."""
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        model = self._model
        if self._pieces is None or model.max_length is None:
            vectors = model.encode(list(texts), batch_size=1024, show_progress_bar=False)
            return np.asarray(vectors, dtype=np.float32)
        limit = model.max_length
        cut = [t[: limit * model.median_token_length] for t in texts]
        rows = [self._pieces.ids(t, limit) for t in cut]
        slow = [i for i, r in enumerate(rows) if r is None]
        if slow:
            for i, found in zip(slow, model.tokenize([cut[i] for i in slow]), strict=True):
                rows[i] = found[:limit]
        half = model.embedding.dtype == np.float16  # model2vec rounds its output so
        return _normalised_means(self._table, rows, model.unk_token_id, half)


def _normalised_means(
    table: np.ndarray, rows: Sequence[list[int] | None], unknown: int | None, half: bool
) -> np.ndarray:
    """Row i: the L2-normalised mean of ``table``'s rows ``rows[i]`` (zeros when
    empty), ``unknown`` ids left out; ``half``: rounded to float16 as model2vec
    rounds a float16 model's means and vectors."""
    ids = [[t for t in r if t != unknown] if r and unknown in r else r or [] for r in rows]
    counts = np.fromiter((len(r) for r in ids), dtype=np.int64, count=len(ids))
    pointers = np.zeros(len(ids) + 1, dtype=np.int64)
    np.cumsum(counts, out=pointers[1:])
    columns = np.fromiter(chain.from_iterable(ids), dtype=np.int64, count=int(pointers[-1]))
    bag = sparse.csr_matrix(
        (np.ones(len(columns), dtype=np.float32), columns, pointers),
        shape=(len(ids), table.shape[0]),
    )
    sums: np.ndarray = np.asarray(bag @ table, dtype=np.float32)
    means = _rounded(sums / np.maximum(counts, 1)[:, None], half)
    norms = np.linalg.norm(means, axis=1, keepdims=True) + 1e-32
    return _rounded(means / norms, half)


def _rounded(values: np.ndarray, half: bool) -> np.ndarray:
    rounded: np.ndarray = values.astype(np.float16).astype(np.float32) if half else values
    return rounded


@cache
def bundled() -> StaticEmbedder:
    """The bundled model, loaded once per process: word vectors for expansion and
    sentence vectors for extractive summaries, whatever embedder stores vectors."""
    return StaticEmbedder()
