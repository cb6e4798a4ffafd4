"""StructureIndex: what recall needs from the derived layers of one namespace.

Replayed from the store's structure log, it holds

- *keys*: the text of every note and fact, each pointing back to the episodes
  it came from (fact-augmented keys: "Caroline went to the support group"
  finds the turn where Caroline said "I went there yesterday"), with BM25
  postings and, once embedded, vectors;
- the *mention graph*: which entities each episode mentions, for Personalized
  PageRank, with an inverted index from name terms to entities;
- which episodes mention a date.

Positions are the NamespaceIndex's episode positions. Everything here is
rebuildable from the store, like the other side indexes.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Sequence

import numpy as np
import scipy.sparse as sp

from memstrata.index import analyzer
from memstrata.index.bm25 import Bm25Index, top_k
from memstrata.index.columns import Column
from memstrata.index.packing import concatenated, from_texts, split, to_texts, under
from memstrata.index.vectors import VectorIndex
from memstrata.store.base import RecallRow

_NONE = -1
# Entities mentioned by more than this share of a namespace's episodes (the
# speakers, "today") carry no signal for the graph and are left out of walks.
HUB_SHARE = 0.05
HUB_MIN = 50
MAX_EPISODES_PER_ENTITY = 100


class StructureIndex:
    def __init__(self, dimensions: int, k1: float, b: float) -> None:
        self.watermark = 0
        self.keys = Bm25Index(k1, b)
        self.key_vectors = VectorIndex(dimensions)
        self._key_of: dict[str, int] = {}  # record id -> key position
        self._key_episode = Column(np.int64, fill=_NONE)  # first episode of each key
        self._key_more: dict[int, list[int]] = {}  # further episodes of a key
        self.unembedded: list[tuple[int, str]] = []
        self._stored: list[tuple[int, bytes]] = []  # keys whose vectors the store kept
        self.embeds = True  # whether keys get vectors (see stop_embedding)
        self._entity_of: dict[str, int] = {}
        self._entity_kind: list[str] = []
        self._entity_id: list[str] = []
        self._entity_episodes: list[array[int]] = []
        self._episode_entities: dict[int, array[int]] = {}
        self._by_term: dict[str, list[int]] = {}
        self._entity_terms: list[int] = []  # how many distinct terms each name has
        self.dated = Column(np.bool_, fill=False)

    # -- replay ----------------------------------------------------------------

    def apply(self, rows: Sequence[RecallRow], position_of: Callable[[int], int | None]) -> None:
        for row in rows:
            position = position_of(row.seq)
            if position is None:
                continue
            if row.record_kind in ("note", "fact"):
                self._add_key(row, position)
            elif row.record_kind == "entity":
                self._add_mention(row, position)

    def _add_key(self, row: RecallRow, position: int) -> None:
        key = self._key_of.get(row.record_id)
        if key is None:
            key = self._key_of[row.record_id] = self._key_episode.append(position)
            self.keys.add(key, analyzer.terms(row.text))
            if self.embeds:
                if row.vector is not None and len(row.vector) == 4 * self.key_vectors.dimensions:
                    self._stored.append((key, row.vector))
                else:
                    self.unembedded.append((key, row.text))
        elif self._key_episode[key] != position:
            more = self._key_more.setdefault(key, [])
            if position not in more:
                more.append(position)

    def _add_mention(self, row: RecallRow, position: int) -> None:
        node = self._entity_of.get(row.record_id)
        if node is None:
            node = self._entity_of[row.record_id] = len(self._entity_kind)
            self._entity_kind.append(row.kind)
            self._entity_id.append(row.record_id)
            self._entity_episodes.append(array("i"))
            terms = set(analyzer.terms(row.text)) if row.kind not in ("date", "quantity") else set()
            self._entity_terms.append(len(terms))
            for term in terms:
                self._by_term.setdefault(term, []).append(node)
        episodes = self._entity_episodes[node]
        if not episodes or episodes[-1] != position:
            episodes.append(position)
            self._episode_entities.setdefault(position, array("i")).append(node)
        if row.kind == "date":
            self.dated.extend_to(position + 1)
            self.dated[position] = True

    def _take_stored(self) -> None:
        """Move the key vectors the store kept into the matrix."""
        if self._stored:
            positions = np.array([key for key, _ in self._stored], dtype=np.int64)
            blobs = b"".join(blob for _, blob in self._stored)
            matrix = np.frombuffer(blobs, dtype=np.float32).reshape(len(self._stored), -1)
            self.key_vectors.set_many(positions, matrix)
            self._stored = []

    def embed(self, embed: Callable[[list[str]], np.ndarray | None]) -> None:
        """Vectors for keys added since the last call: the stored ones as they are,
        the others embedded (kept for later on failure)."""
        self._take_stored()
        if not self.unembedded:
            return
        vectors = embed([text for _, text in self.unembedded])
        if vectors is None:
            return
        positions = np.array([key for key, _ in self.unembedded], dtype=np.int64)
        self.key_vectors.set_many(positions, vectors)
        self.unembedded = []

    def stop_embedding(self) -> None:
        """No key vectors from now on, and none kept: keys_dense finds nothing rather
        than only the older keys."""
        if self.embeds:
            self.embeds = False
            self.unembedded = []
            self._stored = []
            self.key_vectors = VectorIndex(self.key_vectors.dimensions)

    # -- snapshots -------------------------------------------------------------

    def state(self) -> dict[str, np.ndarray]:
        """Everything replayed so far as flat arrays (see ``from_state``); key
        vectors the store handed over are moved into the matrix first."""
        self._take_stored()
        more_keys = sorted(self._key_more)
        mentioned = sorted(self._episode_entities)
        terms = list(self._by_term)
        state = {
            "marks": np.array([self.watermark, int(self.embeds)], dtype=np.int64),
            "key_ids": to_texts(list(self._key_of)),  # in key order
            "key_episode": self._key_episode.view(),
            "more_keys": np.array(more_keys, dtype=np.int64),
            "unembedded_keys": np.array([k for k, _ in self.unembedded], dtype=np.int64),
            "unembedded_texts": to_texts([t for _, t in self.unembedded]),
            "entity_ids": to_texts(self._entity_id),
            "entity_kinds": to_texts(self._entity_kind),
            "entity_terms": np.array(self._entity_terms, dtype=np.int64),
            "mentioned": np.array(mentioned, dtype=np.int64),
            "terms": to_texts(terms),
            "dated": self.dated.view(),
        }
        ragged = {
            "more": [array("i", self._key_more[k]) for k in more_keys],
            "entity_episodes": self._entity_episodes,
            "episode_entities": [self._episode_entities[p] for p in mentioned],
            "term_entities": [array("i", self._by_term[t]) for t in terms],
        }
        for name, arrays in ragged.items():
            state[name], state[f"{name}_offsets"] = concatenated(arrays, np.int32)
        state |= {f"keys.{k}": v for k, v in self.keys.state().items()}
        state |= {f"key_vectors.{k}": v for k, v in self.key_vectors.state().items()}
        return state

    @classmethod
    def from_state(
        cls, state: dict[str, np.ndarray], dimensions: int, k1: float, b: float
    ) -> StructureIndex:
        index = cls(dimensions, k1, b)
        index.watermark, embeds = (int(v) for v in state["marks"])
        index.embeds = bool(embeds)
        index.keys = Bm25Index.from_state(under(state, "keys."), k1, b)
        index.key_vectors = VectorIndex.from_state(under(state, "key_vectors."), dimensions)
        index._key_of = {key_id: i for i, key_id in enumerate(from_texts(state["key_ids"]))}
        index._key_episode = Column.of(state["key_episode"], np.int64, _NONE)
        more = _ragged(state, "more")
        index._key_more = {
            int(k): list(m) for k, m in zip(state["more_keys"].tolist(), more, strict=True)
        }
        index.unembedded = list(
            zip(
                state["unembedded_keys"].tolist(),
                from_texts(state["unembedded_texts"]),
                strict=True,
            )
        )
        index._entity_id = from_texts(state["entity_ids"])
        index._entity_of = {entity_id: i for i, entity_id in enumerate(index._entity_id)}
        index._entity_kind = from_texts(state["entity_kinds"])
        index._entity_terms = state["entity_terms"].tolist()
        index._entity_episodes = _ragged(state, "entity_episodes")
        index._episode_entities = dict(
            zip(state["mentioned"].tolist(), _ragged(state, "episode_entities"), strict=True)
        )
        index._by_term = {
            term: list(nodes)
            for term, nodes in zip(
                from_texts(state["terms"]), _ragged(state, "term_entities"), strict=True
            )
        }
        index.dated = Column.of(state["dated"], np.bool_, False)
        entities = len(index._entity_id)
        if not entities == len(index._entity_kind) == len(index._entity_episodes):
            raise ValueError("a structure snapshot whose entity lists differ")
        return index

    # -- recall ----------------------------------------------------------------

    def _to_episodes(
        self, keys: np.ndarray, scores: np.ndarray, mask: np.ndarray, k: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Best key score per episode (max over the keys pointing at it), top k."""
        best: dict[int, float] = {}
        firsts = self._key_episode.view()[keys]
        for key, first, score in zip(keys.tolist(), firsts.tolist(), scores.tolist(), strict=True):
            for position in (first, *self._key_more.get(key, ())):
                if 0 <= position < len(mask) and mask[position] and score > best.get(position, 0):
                    best[position] = score
        if not best:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        positions = np.fromiter(best.keys(), np.int64, len(best))
        values = np.fromiter(best.values(), np.float32, len(best))
        return top_k(positions, values, k)

    def search_keys(
        self, terms: Sequence[str], k: int, mask: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        everything = np.ones(self._key_episode.size, dtype=np.bool_)
        keys, scores = self.keys.search(terms, 4 * k, everything)
        return self._to_episodes(keys, scores, mask, k)

    def dense_keys(
        self, vector: np.ndarray, k: int, mask: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        if not self.key_vectors.count:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        everything = np.ones(self._key_episode.size, dtype=np.bool_)
        keys, scores = self.key_vectors.search(vector, 4 * k, everything)
        return self._to_episodes(keys, scores, mask, k)

    def entities_named(self, terms: Sequence[str]) -> list[int]:
        """Entities every term of whose name is in ``terms``."""
        counts: dict[int, int] = {}
        for term in set(terms):
            for node in self._by_term.get(term, ()):
                counts[node] = counts.get(node, 0) + 1
        return [node for node, n in counts.items() if n == self._entity_terms[node]]

    def entity_ids_mentioned(self, positions: Sequence[int], live: int) -> list[str]:
        """Ids of the entities the episodes mention, hubs, dates and quantities left out."""
        hub = max(HUB_MIN, int(HUB_SHARE * live))
        nodes = [
            node
            for p in positions
            for node in self._episode_entities.get(p, ())
            if self._entity_kind[node] not in ("date", "quantity")
            and len(self._entity_episodes[node]) <= hub
        ]
        return self.entity_ids(list(dict.fromkeys(nodes)))

    def entity_ids(self, nodes: Sequence[int]) -> list[str]:
        return [self._entity_id[node] for node in nodes]

    def is_dated(self, positions: np.ndarray) -> np.ndarray:
        dated = np.zeros(len(positions), dtype=np.bool_)
        inside = positions < self.dated.size
        dated[inside] = self.dated.view()[positions[inside]]
        return dated

    def pagerank(
        self,
        seed_entities: Sequence[int],
        seed_episodes: dict[int, float],
        live: int,
        mask: np.ndarray,
        k: int,
        damping: float = 0.5,
        iterations: int = 20,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Personalized PageRank on the local mention graph (HippoRAG 2's recipe):
        the query's entities and its best episodes are the seeds; the walk runs on
        the subgraph of their entities and those entities' episodes, hubs left out."""
        hub = max(HUB_MIN, int(HUB_SHARE * live))
        entities = [e for e in seed_entities if len(self._entity_episodes[e]) <= hub]
        for position in seed_episodes:
            for node in self._episode_entities.get(position, ()):
                if len(self._entity_episodes[node]) <= hub:
                    entities.append(node)
        entities = list(dict.fromkeys(entities))
        if not entities:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        episodes: dict[int, int] = {p: i for i, p in enumerate(seed_episodes)}
        edges: list[tuple[int, int]] = []
        for e_index, node in enumerate(entities):
            for position in self._entity_episodes[node][-MAX_EPISODES_PER_ENTITY:]:
                if position < len(mask) and mask[position]:
                    p_index = episodes.setdefault(position, len(episodes))
                    edges.append((p_index, e_index))
        n_ep, size = len(episodes), len(episodes) + len(entities)
        rows = [p for p, _ in edges] + [n_ep + e for _, e in edges]
        cols = [n_ep + e for _, e in edges] + [p for p, _ in edges]
        adjacency = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(size, size))
        degree = np.asarray(adjacency.sum(axis=1)).ravel()
        degree[degree == 0] = 1.0
        walk = (sp.diags(1.0 / degree) @ adjacency).T.tocsr()
        seed = np.zeros(size)
        for position, weight in seed_episodes.items():
            seed[episodes[position]] += weight
        for node in seed_entities:
            if node in entities:
                seed[n_ep + entities.index(node)] += 1.0
        if seed.sum() <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        seed /= seed.sum()
        rank = seed.copy()
        for _ in range(iterations):
            rank = (1.0 - damping) * seed + damping * (walk @ rank)
        positions = np.fromiter(episodes.keys(), np.int64, n_ep)
        return top_k(positions, rank[:n_ep].astype(np.float32), k)


def _ragged(state: dict[str, np.ndarray], name: str) -> list[array[int]]:
    return split(state[name], state[f"{name}_offsets"], "i")
