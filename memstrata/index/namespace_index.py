"""NamespaceIndex: the in-memory view of one namespace, replayed from the change log.

It holds, per indexed episode (a dense ``position``), its store seq, event
time, session and speaker codes, whether it was said in a reply role and
whether it opens its session, liveness and its neighbours in its session
(the turns before and after it, in arrival order), plus the BM25 postings,
a second BM25 index over context keys (each turn with the one before it in
its session, so a question that echoes a turn's prompt finds the answer) and
the vector matrix. ``apply`` replays changes in order, so any number of processes
can share one store and catch up by reading the log.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from memstrata.index.ann import AnnIndex, Watermark
from memstrata.index.bm25 import Bm25Index, top_k
from memstrata.index.columns import Column
from memstrata.index.packing import from_texts, to_texts, under
from memstrata.index.structure import StructureIndex
from memstrata.index.vectors import VectorIndex
from memstrata.store.base import IndexEntry, VectorSearch

log = logging.getLogger("memstrata")
_NONE = -1
# Use the HNSW graph only when at least this share of the namespace is selected;
# narrower filters are served exactly over the selected rows.
_ANN_MIN_SHARE = 0.3
REPLY_ROLES = frozenset({"assistant", "system", "tool"})  # roles that answer, not tell


@dataclass(frozen=True, slots=True)
class Selection:
    """The episodes a search may return, as the index resolves them (times in µs,
    the metadata filter already turned into the seqs it allows)."""

    session_id: str | None = None
    speaker: str | None = None
    since_us: int | None = None
    until_us: int | None = None
    seqs: frozenset[int] | None = None


@dataclass(frozen=True, slots=True)
class AnnPolicy:
    """When to build an HNSW graph for a namespace, and where to keep it: a file
    beside the store (``path``, usearch), or the database itself (``database``,
    pgvector), which then also keeps the vectors out of the process."""

    threshold: int
    path: Path | None
    model: str
    ef_search: int = 512
    database: VectorSearch | None = None


class NamespaceIndex:
    def __init__(
        self,
        namespace: str,
        created_us: int,
        dimensions: int,
        k1: float,
        b: float,
        ann: AnnPolicy | None = None,
    ):
        self.namespace = namespace
        self.created_us = created_us
        self.last_change = 0
        self.lock = threading.RLock()
        self.bm25 = Bm25Index(k1, b)
        self.context = Bm25Index(k1, b)
        self.vectors = VectorIndex(dimensions)
        self.structure = StructureIndex(dimensions, k1, b)
        self.purged = False  # an indexed episode was purged: rebuild before the next search
        self.snapshot_change = 0  # what the snapshot file on disk covers (index/snapshot.py)
        self.snapshot_size = 0
        self.previous = Column(np.int64, fill=_NONE)  # position of the turn before, same session
        self.following = Column(np.int64, fill=_NONE)  # position of the turn after
        self._session_tail: dict[int, tuple[int, list[str]]] = {}  # code -> (position, terms)
        self._seqs = Column(np.int64)
        self._occurred = Column(np.int64)
        self._sessions = Column(np.int32, fill=_NONE)
        self._speakers = Column(np.int32, fill=_NONE)
        self._replies = Column(np.bool_, fill=False)  # said in a reply role (assistant, tool)
        # the first turn of its session not said in a reply role: where one opens a
        # conversation with what brings them (derived from sessions and replies)
        self._opens = Column(np.bool_, fill=False)
        self._opened: set[int] = set()  # session codes with such a turn
        self._alive = Column(np.bool_, fill=False)
        self._position: dict[int, int] = {}
        self._session_codes: dict[str, int] = {}
        self._speaker_codes: dict[str, int] = {}
        self._ann_policy = ann
        self.ann: AnnIndex | None = None
        self.ann_change = 0  # changes up to here are in the graph
        self._ann_saved = 0
        self._ann_builder: threading.Thread | None = None
        self._ann_built: tuple[AnnIndex, int] | None = None
        self._ann_backlog: list[IndexEntry] = []
        self._database_ready = False
        # Dense search runs in the database (vectors are not held here) once the
        # namespace's graph is built there.
        self.in_database = bool(
            ann and ann.database and ann.database.has_graph(namespace, ann.model)
        )
        self._load_ann()

    @property
    def size(self) -> int:
        return self._seqs.size

    def seq_at(self, positions: np.ndarray) -> list[int]:
        return [int(s) for s in self._seqs.view()[positions]]

    def apply(self, entries: Sequence[IndexEntry]) -> None:
        """Replay changes (in change_seq order) into every structure."""
        self._integrate_ann()
        run: list[IndexEntry] = []  # consecutive new adds, indexed in one batch
        for entry in entries:
            if entry.op == "add" and entry.terms is not None and entry.seq not in self._position:
                run.append(entry)
                continue
            if run:
                self._add_many(run)
                run = []
            self._apply_one(entry)
        if run:
            self._add_many(run)
        if entries:
            self.last_change = max(self.last_change, entries[-1].change_seq)
        if self._ann_builder is not None:
            self._ann_backlog.extend(e for e in entries if e.op in ("add", "embed", "purge"))
        elif self.ann is not None:
            self._apply_to_ann([e for e in entries if e.change_seq > self.ann_change])
        self._maybe_build_ann()

    def _apply_one(self, entry: IndexEntry) -> None:
        position = self._position.get(entry.seq)
        vector = None if self.in_database else entry.vector
        if position is not None and entry.op == "embed" and vector is not None:
            self.vectors.set(position, np.frombuffer(vector, dtype=np.float32))
        elif position is not None and entry.op in ("delete", "purge"):
            if self._alive[position]:
                self._alive[position] = False
                self.bm25.set_live(position, False)
                self.context.set_live(position, False)
            if entry.op == "purge":
                self.vectors.clear(position)
                # Its words live on in the postings, in the next turn's context key and
                # in derived records: the owner replays the namespace afresh, which
                # never sees them (the store no longer has them).
                self.purged = True
        elif position is not None and entry.op == "restore" and not self._alive[position]:
            self._alive[position] = True
            self.bm25.set_live(position, True)
            self.context.set_live(position, True)

    # -- the HNSW graph --------------------------------------------------------

    def _watermark(self, change_seq: int) -> Watermark | None:
        policy = self._ann_policy
        if policy is None:
            return None
        return Watermark(self.created_us, policy.model, change_seq)

    def _load_ann(self) -> None:
        policy, expected = self._ann_policy, self._watermark(0)
        if policy is None or policy.path is None or expected is None or not policy.path.exists():
            return
        loaded = AnnIndex.load(policy.path, self.vectors.dimensions, expected, policy.ef_search)
        if loaded is not None:
            self.ann, self.ann_change = loaded
            self._ann_saved = self.ann_change

    def _apply_to_ann(self, entries: Sequence[IndexEntry]) -> None:
        assert self.ann is not None
        seqs: list[int] = []
        vectors: list[np.ndarray] = []
        for entry in entries:
            if entry.op in ("add", "embed") and entry.vector is not None:
                seqs.append(entry.seq)
                vectors.append(np.frombuffer(entry.vector, dtype=np.float32))
            elif entry.op == "purge":
                self.ann.remove(entry.seq)
        if seqs:
            self.ann.add(np.array(seqs), np.stack(vectors))
        if entries:
            self.ann_change = max(self.ann_change, entries[-1].change_seq)

    def _maybe_build_ann(self) -> None:
        policy = self._ann_policy
        if (
            policy is None
            or self.ann is not None
            or self.in_database
            or self._ann_builder is not None
            or self.vectors.count < policy.threshold
        ):
            return
        if policy.database is not None:
            self._build_in_database(policy, policy.database)
            return
        present = np.flatnonzero(self.vectors.present())
        seqs = self._seqs.view()[present].copy()
        vectors = self.vectors.matrix()[present].copy()
        watermark = self.last_change
        log.info("building an HNSW index for %s (%d vectors)", self.namespace, len(seqs))

        def build() -> None:
            ann = AnnIndex(self.vectors.dimensions, ef_search=policy.ef_search)
            ann.add(seqs, vectors)
            self._ann_built = (ann, watermark)

        self._ann_builder = threading.Thread(target=build, name="memstrata-ann", daemon=True)
        self._ann_builder.start()

    def _build_in_database(self, policy: AnnPolicy, database: VectorSearch) -> None:
        log.info("building the database's HNSW index for %s", self.namespace)

        def build() -> None:
            try:
                database.build_graph(self.namespace, policy.model, self.vectors.dimensions)
                ready = database.has_graph(self.namespace, policy.model)
            except Exception as exc:  # searches stay in process; retried on the next change
                log.warning("vector index of %s not built: %s", self.namespace, exc)
                ready = False
            if ready:
                self._database_ready = True
            else:  # e.g. another process is still building it: look again on the next change
                self._ann_builder = None

        self._ann_builder = threading.Thread(target=build, name="memstrata-ann", daemon=True)
        self._ann_builder.start()

    def _integrate_ann(self) -> None:
        """Swap in a finished graph, catching it up with changes made meanwhile."""
        if self._database_ready and not self.in_database:
            # the database serves dense search from now on: drop the matrix
            self.in_database = True
            self._ann_builder = None
            self._ann_backlog = []
            self.vectors = VectorIndex(self.vectors.dimensions)
            return
        built = self._ann_built
        if built is None:
            return
        self.ann, self.ann_change = built
        self._ann_built = None
        self._ann_builder = None
        backlog, self._ann_backlog = self._ann_backlog, []
        self._apply_to_ann([e for e in backlog if e.change_seq > self.ann_change])
        self.ann_change = max(self.ann_change, self.last_change)

    def wait_for_ann(self) -> None:
        """Block until a graph being built is ready, then swap it in."""
        builder = self._ann_builder
        if builder is not None:
            builder.join()
        with self.lock:
            self._integrate_ann()

    def save_ann(self) -> None:
        """Persist the graph (swapping in a finished build first) if it changed
        since it was loaded or last saved."""
        self._integrate_ann()
        policy = self._ann_policy
        watermark = self._watermark(self.ann_change)
        if (
            self.ann is None
            or policy is None
            or policy.path is None
            or watermark is None
            or self.ann_change <= self._ann_saved
        ):
            return
        self.ann.save(policy.path, watermark)
        self._ann_saved = self.ann_change

    def dense(self, query: np.ndarray, k: int, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (positions, cosine scores) among masked positions.

        Broad selections go through the HNSW graph when there is one (its
        candidates rescored exactly); narrow ones, or too few graph hits
        after filtering, are served by exact search.
        """
        self._integrate_ann()
        share = float(mask.mean()) if len(mask) else 0.0
        if self.in_database:
            return self._dense_in_database(query, k, mask, share)
        if self.ann is not None and len(self.ann) and share >= _ANN_MIN_SHARE:
            want = min(len(self.ann), int(k / share * 2) + 16)
            seqs, _ = self.ann.search(query, want)
            found = [self._position.get(int(s)) for s in seqs]
            positions = np.array([p for p in found if p is not None], dtype=np.int64)
            present = self.vectors.present()
            positions = positions[mask[positions] & present[positions]]
            if len(positions) >= k:
                scores = self.vectors.matrix()[positions] @ query
                return top_k(positions, scores, k)
        return self.vectors.search(query, k, mask)

    def has_dense(self) -> bool:
        """Whether dense search has any vector to look at."""
        return self.in_database or self.vectors.count > 0

    def _dense_in_database(
        self, query: np.ndarray, k: int, mask: np.ndarray, share: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Broad selections through the database's graph, filtered here; narrow
        ones (or too few graph hits left) as a restriction to the selected seqs,
        which the database serves exactly or as a filtered graph scan."""
        policy = self._ann_policy
        assert policy is not None and policy.database is not None
        database, model = policy.database, policy.model
        if share >= _ANN_MIN_SHARE:
            want = int(k / share * 2) + 16
            found = database.nearest(self.namespace, model, query, want, breadth=policy.ef_search)
            positions, scores = self._positions_of(found)
            keep = mask[positions]
            if int(keep.sum()) >= k:
                return top_k(positions[keep], scores[keep], k)
        among = self._seqs.view()[np.flatnonzero(mask)].tolist()
        if not among:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        found = database.nearest(self.namespace, model, query, k, among=among)
        positions, scores = self._positions_of(found)
        return positions, scores

    def _positions_of(self, found: Sequence[tuple[int, float]]) -> tuple[np.ndarray, np.ndarray]:
        """Positions and scores of (seq, score) pairs this index knows, in order."""
        pairs = [(self._position.get(seq), score) for seq, score in found]
        known = [(p, s) for p, s in pairs if p is not None and p < self.size]
        positions = np.array([p for p, _ in known], dtype=np.int64)
        return positions, np.array([s for _, s in known], dtype=np.float32)

    def _add_many(self, run: Sequence[IndexEntry]) -> None:
        count = len(run)
        start = self._seqs.extend(np.fromiter((e.seq for e in run), np.int64, count))
        self._occurred.extend(np.fromiter((e.occurred_us or 0 for e in run), np.int64, count))
        self._sessions.extend(
            np.array([_code(self._session_codes, e.session_id) for e in run], dtype=np.int32)
        )
        self._speakers.extend(
            np.array([_code(self._speaker_codes, e.speaker) for e in run], dtype=np.int32)
        )
        self._replies.extend(np.fromiter((e.role in REPLY_ROLES for e in run), np.bool_, count))
        self._opens.extend_to(start + count)
        self._alive.extend(np.ones(count, dtype=np.bool_))
        self.previous.extend_to(start + count)
        self.following.extend_to(start + count)
        sessions = self._sessions.view()
        plain: list[list[str]] = []
        contexts: list[list[str]] = []
        for offset, entry in enumerate(run):
            position = start + offset
            self._position[entry.seq] = position
            terms = (entry.terms or "").split()
            plain.append(terms)
            code = int(sessions[position])
            if code not in self._opened and entry.role not in REPLY_ROLES:
                self._opened.add(code)
                self._opens[position] = True
            before = self._session_tail.get(code)
            if before is None:
                contexts.append(terms)
            else:
                self.previous[position] = before[0]
                self.following[before[0]] = position
                contexts.append(before[1] + terms)
            self._session_tail[code] = (position, terms)
        self.bm25.add_many(start, plain)
        self.context.add_many(start, contexts)
        with_vectors = [] if self.in_database else [i for i, e in enumerate(run) if e.vector]
        if with_vectors:
            blob = b"".join(run[i].vector or b"" for i in with_vectors)
            matrix = np.frombuffer(blob, dtype=np.float32).reshape(len(with_vectors), -1)
            self.vectors.set_many(np.array(with_vectors, dtype=np.int64) + start, matrix)

    # -- snapshots -------------------------------------------------------------

    def state(self) -> dict[str, np.ndarray]:
        """What the replay built, as flat arrays (index/snapshot.py writes them)."""
        tails = sorted(self._session_tail.items())
        state: dict[str, np.ndarray] = {
            "marks": np.array([self.last_change, self.size], dtype=np.int64),
            "seqs": self._seqs.view(),
            "occurred": self._occurred.view(),
            "sessions": self._sessions.view(),
            "speakers": self._speakers.view(),
            "replies": self._replies.view(),
            "alive": self._alive.view(),
            "previous": self.previous.view(),
            "following": self.following.view(),
            "session_codes": to_texts(list(self._session_codes)),  # in code order
            "speaker_codes": to_texts(list(self._speaker_codes)),
            "tail_codes": np.array([code for code, _ in tails], dtype=np.int64),
            "tail_positions": np.array([p for _, (p, _) in tails], dtype=np.int64),
            "tail_terms": to_texts([" ".join(terms) for _, (_, terms) in tails]),
        }
        parts = {"bm25": self.bm25.state(), "context": self.context.state()}
        if not self.in_database:
            parts["vectors"] = self.vectors.state()
        parts["structure"] = self.structure.state()
        for part, values in parts.items():
            state |= {f"{part}.{k}": v for k, v in values.items()}
        return state

    def restore(self, state: dict[str, np.ndarray]) -> None:
        """Take the state ``state()`` gave (of this namespace's incarnation)."""
        self.last_change, size = (int(v) for v in state["marks"])
        self._seqs = Column.of(state["seqs"], np.int64)
        self._occurred = Column.of(state["occurred"], np.int64)
        self._sessions = Column.of(state["sessions"], np.int32, _NONE)
        self._speakers = Column.of(state["speakers"], np.int32, _NONE)
        self._replies = Column.of(state["replies"], np.bool_, False)
        self._alive = Column.of(state["alive"], np.bool_, False)
        self.previous = Column.of(state["previous"], np.int64, _NONE)
        self.following = Column.of(state["following"], np.int64, _NONE)
        columns = (
            self._occurred,
            self._sessions,
            self._speakers,
            self._replies,
            self._alive,
            self.previous,
        )
        if self.size != size or any(c.size != size for c in columns):
            raise ValueError("an index snapshot whose columns differ in length")
        self._position = {seq: i for i, seq in enumerate(self._seqs.view().tolist())}
        self._derive_openers()
        self._session_codes = {v: i for i, v in enumerate(from_texts(state["session_codes"]))}
        self._speaker_codes = {v: i for i, v in enumerate(from_texts(state["speaker_codes"]))}
        tails = zip(
            state["tail_codes"].tolist(),
            state["tail_positions"].tolist(),
            from_texts(state["tail_terms"]),
            strict=True,
        )
        self._session_tail = {code: (p, terms.split()) for code, p, terms in tails}
        k1, b = self.bm25.k1, self.bm25.b
        self.bm25 = Bm25Index.from_state(under(state, "bm25."), k1, b)
        self.context = Bm25Index.from_state(under(state, "context."), k1, b)
        if not self.in_database:
            self.vectors = VectorIndex.from_state(under(state, "vectors."), self.vectors.dimensions)
        dimensions = self.structure.key_vectors.dimensions
        self.structure = StructureIndex.from_state(under(state, "structure."), dimensions, k1, b)
        if self.ann is not None and self.ann_change < self.last_change:
            # the graph file misses changes the snapshot holds: rebuilt from the matrix
            self.ann, self.ann_change, self._ann_saved = None, 0, 0

    def _derive_openers(self) -> None:
        """The openers from the session and role columns: the first position of each
        session among those not said in a reply role (a session's turns are at
        increasing positions)."""
        told = np.flatnonzero(~self._replies.view())
        codes, first = np.unique(self._sessions.view()[told], return_index=True)
        opens = np.zeros(self.size, dtype=np.bool_)
        opens[told[first]] = True
        self._opens = Column.of(opens, np.bool_, False)
        self._opened = {int(c) for c in codes.tolist()}

    def sessions(self, positions: np.ndarray) -> np.ndarray:
        return np.asarray(self._sessions.view()[positions])

    def speakers(self, positions: np.ndarray) -> np.ndarray:
        return np.asarray(self._speakers.view()[positions])

    def replies(self, positions: np.ndarray) -> np.ndarray:
        """Whether each episode was said in a reply role (an assistant's, a tool's)."""
        return np.asarray(self._replies.view()[positions])

    def opens(self, positions: np.ndarray) -> np.ndarray:
        """Whether each episode is the first of its session not said in a reply role."""
        return np.asarray(self._opens.view()[positions])

    def occurred(self, positions: np.ndarray) -> np.ndarray:
        return np.asarray(self._occurred.view()[positions])

    def speaker_names(self) -> dict[str, int]:
        """Speaker name -> code, for every speaker the namespace has seen."""
        return dict(self._speaker_codes)

    def position(self, seq: int) -> int | None:
        """The position of a store seq, if it is indexed."""
        return self._position.get(seq)

    def mask(self, filters: Selection) -> np.ndarray:
        """Boolean selection over positions: live and matching every filter."""
        selected = self._alive.view().copy()
        if filters.session_id is not None:
            code = self._session_codes.get(filters.session_id, -2)
            selected &= self._sessions.view() == code
        if filters.speaker is not None:
            code = self._speaker_codes.get(filters.speaker, -2)
            selected &= self._speakers.view() == code
        if filters.since_us is not None:
            selected &= self._occurred.view() >= filters.since_us
        if filters.until_us is not None:
            selected &= self._occurred.view() < filters.until_us
        if filters.seqs is not None:
            allowed = np.zeros(len(selected), dtype=np.bool_)
            for seq in filters.seqs:
                position = self._position.get(seq)
                if position is not None:
                    allowed[position] = True
            selected &= allowed
        return selected


def _code(codes: dict[str, int], value: str | None) -> int:
    if value is None:
        return _NONE
    code = codes.get(value)
    if code is None:
        code = codes[value] = len(codes)
    return code
