"""Episodes, their vectors, the change log and namespaces: the record stores
both backends share (SQL in SQLite's dialect; PostgreSQL translates it)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import datetime

from memstrata.errors import Conflict, NotFound
from memstrata.model import Episode, JSONValue, NamespaceStats
from memstrata.store.base import ChangeOp, IndexEntry, NewEpisode, PendingVector, VectorBlob
from memstrata.store.rows import maybe_time, time
from memstrata.store.sql.connection import Database, Session
from memstrata.store.sql.dialect import marks
from memstrata.timeutil import from_us, now, to_us

_EPISODE_COLUMNS = (
    "episode_id, namespace, content, occurred_at, recorded_at, session_id, speaker, role, "
    "metadata, deleted_at"
)
_CHUNK = 500


def _episode(row: Sequence[object]) -> Episode:
    (episode_id, namespace, content, occurred, recorded, session, speaker, role, meta, deleted) = (
        row
    )
    return Episode(
        id=str(episode_id),
        namespace=str(namespace),
        content=str(content),
        occurred_at=time(occurred, "occurred_at"),
        recorded_at=time(recorded, "recorded_at"),
        session_id=None if session is None else str(session),
        speaker=None if speaker is None else str(speaker),
        role=None if role is None else str(role),
        metadata=json.loads(str(meta)),
        deleted_at=maybe_time(deleted, "deleted_at"),
    )


def _log(conn: Session, namespace: str, seq: int, op: ChangeOp) -> None:
    conn.execute("INSERT INTO changes(namespace, seq, op) VALUES (?, ?, ?)", (namespace, seq, op))


def _drop_orphans(conn: Session, namespace: str) -> None:
    """Derived records whose every source episode was purged go too (privacy)."""
    for kind, table, key in (("note", "notes", "note_id"), ("fact", "facts", "fact_id")):
        conn.execute(
            f"DELETE FROM {table} WHERE namespace = ? AND {key} NOT IN "
            f"(SELECT record_id FROM sources WHERE record_kind = '{kind}')",
            (namespace,),
        )
    conn.execute(  # an entity goes once nothing says it exists and no fact uses it
        "DELETE FROM entities WHERE namespace = ? AND entity_id NOT IN "
        "(SELECT record_id FROM sources WHERE record_kind = 'entity') "
        "AND entity_id NOT IN (SELECT subject_id FROM facts) "
        "AND entity_id NOT IN (SELECT object_id FROM facts WHERE object_id IS NOT NULL)",
        (namespace,),
    )
    conn.execute(
        "DELETE FROM sources WHERE record_kind = 'fact' AND record_id NOT IN "
        "(SELECT fact_id FROM facts)"
    )
    conn.execute(  # strength of a note that is gone; summaries above a purge go too
        "DELETE FROM strength WHERE namespace = ? AND record_kind = 'note' AND record_id NOT IN "
        "(SELECT note_id FROM notes WHERE namespace = ?)",
        (namespace, namespace),
    )


def _drop_summaries_of(conn: Session, namespace: str, episode_ids: Sequence[str]) -> None:
    """A summary quoting a purged episode goes, and the topics and profile above it
    (they are derived: the next consolidation rebuilds them from what is left)."""
    holes = marks(len(episode_ids))
    hit = conn.execute(
        "SELECT count(*) FROM summary_children c JOIN summaries s ON s.summary_id = c.summary_id "
        f"WHERE s.namespace = ? AND s.level = 'event' AND c.child_id IN ({holes})",
        (namespace, *episode_ids),
    ).fetchone()[0]
    if not hit:
        return
    conn.execute(
        "DELETE FROM summaries WHERE namespace = ? AND (level != 'event' OR summary_id IN "
        f"(SELECT summary_id FROM summary_children WHERE child_id IN ({holes})))",
        (namespace, *episode_ids),
    )
    conn.execute(
        "DELETE FROM strength WHERE namespace = ? AND record_kind = 'summary' AND record_id "
        "NOT IN (SELECT summary_id FROM summaries WHERE namespace = ?)",
        (namespace, namespace),
    )


def _chunks(values: Sequence[int] | Sequence[str]) -> Iterator[Sequence[int] | Sequence[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


class SqlEpisodes:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._sql = db.dialect

    def add(self, namespace: str, items: Sequence[NewEpisode], model: str | None) -> list[Episode]:
        stored: list[Episode] = []
        with self._db.write("add episodes", namespace) as conn:
            conn.execute(
                self._sql.insert("namespaces", "name, created_at", conflict="ignore"),
                (namespace, to_us(now())),
            )
            for item in items:
                stored.append(self._insert(conn, namespace, item, model))
        return stored

    def _insert(
        self, conn: Session, namespace: str, item: NewEpisode, model: str | None
    ) -> Episode:
        e = item.episode
        row = conn.execute(
            "INSERT INTO episodes(episode_id, namespace, session_id, speaker, role, content, "
            "terms, occurred_at, recorded_at, metadata) VALUES (?,?,?,?,?,?,?,?,?,?) "
            "ON CONFLICT(namespace, episode_id) DO NOTHING RETURNING seq",
            (
                e.id,
                namespace,
                e.session_id,
                e.speaker,
                e.role,
                e.content,
                item.terms,
                to_us(e.occurred_at),
                to_us(e.recorded_at),
                json.dumps(dict(e.metadata), ensure_ascii=False, sort_keys=True),
            ),
        ).fetchone()
        if row is None:  # already stored: adding is idempotent by id
            existing = _episode(
                conn.execute(
                    f"SELECT {_EPISODE_COLUMNS} FROM episodes "
                    "WHERE namespace = ? AND episode_id = ?",
                    (namespace, e.id),
                ).fetchone()
            )
            if not existing.says_the_same(e):  # a concurrent writer stored other content
                raise Conflict("episode", e.id, namespace)
            return existing
        seq = int(row[0])
        if item.vector is not None and model is not None:
            dims = len(item.vector) // 4
            conn.execute(
                "INSERT INTO vectors(seq, model, dims, vector) VALUES (?, ?, ?, ?)",
                (seq, model, dims, VectorBlob(item.vector)),
            )
        _log(conn, namespace, seq, "add")
        conn.execute("INSERT INTO extraction_queue(seq) VALUES (?)", (seq,))
        conn.execute(
            self._sql.insert("dirty_sessions", "namespace, session_key", conflict="ignore"),
            (namespace, e.session_id or ""),
        )
        return e

    def get(self, namespace: str, episode_ids: Sequence[str]) -> list[Episode]:
        found: dict[str, Episode] = {}
        conn = self._db.read()
        with self._db.errors("get episodes"):
            for chunk in _chunks(episode_ids):
                holes = marks(len(chunk))
                for row in conn.execute(
                    f"SELECT {_EPISODE_COLUMNS} FROM episodes "
                    f"WHERE namespace = ? AND episode_id IN ({holes})",
                    (namespace, *chunk),
                ):
                    found[str(row[0])] = _episode(row)
        return [found[i] for i in episode_ids if i in found]

    def by_seq(self, namespace: str, seqs: Sequence[int]) -> dict[int, tuple[Episode, str]]:
        found: dict[int, tuple[Episode, str]] = {}
        conn = self._db.read()
        with self._db.errors("read episodes"):
            for chunk in _chunks(seqs):
                holes = marks(len(chunk))
                for row in conn.execute(
                    # the planner stays on the key lookup, off the namespace index
                    f"SELECT seq, terms, {_EPISODE_COLUMNS} FROM episodes "
                    f"WHERE {self._sql.unindexed('namespace')} = ? AND deleted_at IS NULL "
                    f"AND seq IN ({holes})",
                    (namespace, *chunk),
                ):
                    found[int(row[0])] = (_episode(row[2:]), str(row[1]))
        return found

    def set_deleted(self, namespace: str, episode_id: str, deleted_at: datetime | None) -> Episode:
        with self._db.write("delete episode", namespace) as conn:
            row = conn.execute(
                "SELECT seq, deleted_at FROM episodes WHERE namespace = ? AND episode_id = ?",
                (namespace, episode_id),
            ).fetchone()
            if row is None:
                raise NotFound("episode", episode_id, namespace)
            seq, current = int(row[0]), row[1]
            if (current is None) != (deleted_at is None):
                conn.execute(
                    "UPDATE episodes SET deleted_at = ? WHERE seq = ?",
                    (None if deleted_at is None else to_us(deleted_at), seq),
                )
                _log(conn, namespace, seq, "delete" if deleted_at is not None else "restore")
            out = conn.execute(
                f"SELECT {_EPISODE_COLUMNS} FROM episodes WHERE seq = ?", (seq,)
            ).fetchone()
        return _episode(out)

    def purge(self, namespace: str, episode_ids: Sequence[str]) -> int:
        purged = 0
        with self._db.write("purge episodes", namespace) as conn:
            for chunk in _chunks(episode_ids):
                holes = marks(len(chunk))
                seqs = [
                    int(r[0])
                    for r in conn.execute(
                        f"SELECT seq FROM episodes WHERE namespace = ? AND episode_id IN ({holes})",
                        (namespace, *chunk),
                    )
                ]
                _drop_summaries_of(conn, namespace, [str(i) for i in chunk])
                if seqs:  # their sessions get segmented again
                    seq_holes = marks(len(seqs))
                    conn.execute(
                        self._sql.insert(
                            "dirty_sessions",
                            "namespace, session_key",
                            "SELECT namespace, coalesce(session_id, '') FROM episodes "
                            f"WHERE seq IN ({seq_holes})",
                            conflict="ignore",
                        ),
                        seqs,
                    )
                for seq in seqs:  # an event quoting a purged episode goes with it
                    conn.execute(
                        "DELETE FROM events WHERE event_id = "
                        "(SELECT event_id FROM event_episodes WHERE seq = ?)",
                        (seq,),
                    )
                    conn.execute("DELETE FROM episodes WHERE seq = ?", (seq,))
                    _log(conn, namespace, seq, "purge")
                purged += len(seqs)
            _drop_orphans(conn, namespace)
        self._db.checkpoint()
        return purged

    def purge_namespace(self, namespace: str) -> int:
        with self._db.write("purge namespace", namespace) as conn:
            count = int(
                conn.execute(
                    "SELECT count(*) FROM episodes WHERE namespace = ?", (namespace,)
                ).fetchone()[0]
            )
            conn.execute(
                "DELETE FROM vectors WHERE seq IN (SELECT seq FROM episodes WHERE namespace = ?)",
                (namespace,),
            )
            for table in (
                "facts",
                "notes",
                "entity_aliases",
                "entities",
                "history",
                "events",
                "dirty_sessions",
                "summaries",
                "strength",
                "tasks",
                "policies",
                "jobs",
            ):
                conn.execute(f"DELETE FROM {table} WHERE namespace = ?", (namespace,))
            conn.execute("DELETE FROM episodes WHERE namespace = ?", (namespace,))
            conn.execute("DELETE FROM changes WHERE namespace = ?", (namespace,))
            conn.execute("DELETE FROM namespaces WHERE name = ?", (namespace,))
        self._db.checkpoint()
        return count

    def session(self, namespace: str, session_id: str, limit: int) -> list[Episode]:
        return self._session_tail(namespace, session_id, limit, "occurred_at DESC, seq DESC")

    def latest(self, namespace: str, session_id: str, limit: int) -> list[Episode]:
        # the session index holds seq (the rowid): read backwards, no sort
        return self._session_tail(namespace, session_id, limit, "seq DESC")

    def _session_tail(
        self, namespace: str, session_id: str, limit: int, order: str
    ) -> list[Episode]:
        with self._db.errors("read a session"):
            rows = (
                self._db.read()
                .execute(
                    f"SELECT {_EPISODE_COLUMNS} FROM episodes"
                    f"{self._sql.indexed_by('episodes_by_session')} "
                    "WHERE namespace = ? AND session_id = ? AND deleted_at IS NULL "
                    f"ORDER BY {order} LIMIT ?",
                    (namespace, session_id, limit),
                )
                .fetchall()
            )
        return [_episode(r) for r in reversed(rows)]

    def with_id_prefix(
        self, namespace: str, prefix: str, *, live_only: bool = False, limit: int | None = None
    ) -> list[Episode]:
        if not prefix:
            raise ValueError("an id prefix is not empty")
        where, params = self._id_prefix(prefix)
        live = " AND deleted_at IS NULL" if live_only else ""
        cap, more = ("", ()) if limit is None else (" LIMIT ?", (limit,))
        with self._db.errors("read episodes by id"):
            rows = (
                self._db.read()
                .execute(
                    f"SELECT {_EPISODE_COLUMNS} FROM episodes WHERE namespace = ? AND {where}"
                    f"{live} ORDER BY seq{cap}",
                    (namespace, *params, *more),
                )
                .fetchall()
            )
        return [_episode(r) for r in rows]

    def _id_prefix(self, prefix: str) -> tuple[str, tuple[object, ...]]:
        """Ids compare bytewise in SQLite, so those with a prefix are one range of
        the (namespace, episode_id) index."""
        after = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        exact = "substr(episode_id, 1, ?) = ?"
        return f"episode_id >= ? AND episode_id < ? AND {exact}", (
            prefix,
            after,
            len(prefix),
            prefix,
        )

    def seqs_of(self, namespace: str, episode_ids: Sequence[str]) -> set[int]:
        found: set[int] = set()
        with self._db.errors("find episodes"):
            conn = self._db.read()
            for chunk in _chunks(list(episode_ids)):
                found.update(
                    int(r[0])
                    for r in conn.execute(
                        "SELECT seq FROM episodes WHERE namespace = ? "
                        f"AND episode_id IN ({marks(len(chunk))})",
                        (namespace, *chunk),
                    )
                )
        return found

    def iterate(self, namespace: str, include_deleted: bool) -> Iterator[Episode]:
        where = "" if include_deleted else " AND deleted_at IS NULL"
        last = 0
        while True:  # page by seq so no cursor stays open between yields
            with self._db.errors("export episodes"):
                rows = (
                    self._db.read()
                    .execute(
                        f"SELECT seq, {_EPISODE_COLUMNS} FROM episodes "
                        f"WHERE namespace = ? AND seq > ?{where} ORDER BY seq LIMIT 1000",
                        (namespace, last),
                    )
                    .fetchall()
                )
            if not rows:
                return
            for row in rows:
                yield _episode(row[1:])
            last = int(rows[-1][0])

    def matching_metadata(self, namespace: str, where: dict[str, JSONValue]) -> set[int]:
        result: set[int] | None = None
        conn = self._db.read()
        for key, wanted in where.items():
            seqs: set[int] = set()
            with self._db.errors("metadata filter"):
                for seq, meta in conn.execute(
                    "SELECT e.seq, e.metadata FROM episodes e, "
                    f"{self._sql.json_entries('e.metadata')} j "
                    "WHERE e.namespace = ? AND e.deleted_at IS NULL AND j.key = ?",
                    (namespace, key),
                ):
                    value = json.loads(meta).get(key)
                    if value == wanted and isinstance(value, bool) == isinstance(wanted, bool):
                        seqs.add(int(seq))
            result = seqs if result is None else result & seqs
        return result or set()


class SqlVectors:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._sql = db.dialect

    def pending(self, model: str, limit: int, after: int = 0) -> list[PendingVector]:
        with self._db.errors("find pending vectors"):
            rows = (
                self._db.read()
                .execute(
                    "SELECT e.namespace, e.seq, e.content, e.speaker FROM episodes e "
                    "LEFT JOIN vectors v ON v.seq = e.seq "
                    "WHERE e.seq > ? AND (v.seq IS NULL OR v.model != ?) ORDER BY e.seq LIMIT ?",
                    (after, model, limit),
                )
                .fetchall()
            )
        return [PendingVector(str(n), int(s), str(c), sp) for n, s, c, sp in rows]

    def put(self, model: str, dims: int, rows: Sequence[tuple[str, int, bytes]]) -> None:
        with self._db.write("store vectors", durable=False) as conn:  # made again if lost
            for namespace, seq, blob in rows:
                cur = conn.execute(
                    self._sql.insert(
                        "vectors",
                        "seq, model, dims, vector",
                        "SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM episodes WHERE seq = ?)",
                        conflict="replace",
                    ),
                    (seq, model, dims, VectorBlob(blob), seq),
                )
                if cur.rowcount:
                    _log(conn, namespace, seq, "embed")

    def drop_all(self) -> None:
        with self._db.write("drop vectors") as conn:
            conn.execute("DELETE FROM vectors")


class SqlChanges:
    def __init__(self, db: Database) -> None:
        self._db = db

    def since(
        self, namespace: str, change_seq: int, model: str | None, limit: int = 20_000
    ) -> list[IndexEntry]:
        with self._db.errors("read changes"):
            rows = (
                self._db.read()
                .execute(
                    "SELECT c.change_seq, c.op, c.seq, e.terms, e.occurred_at, e.session_id, "
                    "e.speaker, v.vector, e.role FROM changes c "
                    "LEFT JOIN episodes e ON e.seq = c.seq "
                    "LEFT JOIN vectors v ON v.seq = c.seq AND v.model = ? "
                    "AND c.op IN ('add', 'embed') "
                    "WHERE c.namespace = ? AND c.change_seq > ? ORDER BY c.change_seq LIMIT ?",
                    (model, namespace, change_seq, limit),
                )
                .fetchall()
            )
        return [
            IndexEntry(
                change_seq=int(r[0]),
                op=r[1],
                seq=int(r[2]),
                terms=r[3],
                occurred_us=None if r[4] is None else int(r[4]),
                session_id=r[5],
                speaker=r[6],
                vector=r[7],
                role=r[8],
            )
            for r in rows
        ]


class SqlNamespaces:
    def __init__(self, db: Database) -> None:
        self._db = db

    def names(self) -> list[str]:
        with self._db.errors("list namespaces"):
            rows = self._db.read().execute("SELECT name FROM namespaces ORDER BY name").fetchall()
        return [str(r[0]) for r in rows]

    def created_at(self, namespace: str) -> int | None:
        with self._db.errors("read namespace"):
            row = (
                self._db.read()
                .execute("SELECT created_at FROM namespaces WHERE name = ?", (namespace,))
                .fetchone()
            )
        return None if row is None else int(row[0])

    def stats(self, namespace: str, model: str | None) -> NamespaceStats | None:
        if self.created_at(namespace) is None:
            return None
        with self._db.errors("namespace stats"):
            conn = self._db.read()
            live, deleted, sessions, first, last = conn.execute(
                "SELECT count(*) FILTER (WHERE deleted_at IS NULL), "
                "count(*) FILTER (WHERE deleted_at IS NOT NULL), "
                "count(DISTINCT session_id) FILTER (WHERE deleted_at IS NULL), "
                "min(occurred_at), max(occurred_at) FROM episodes WHERE namespace = ?",
                (namespace,),
            ).fetchone()
            vectors = conn.execute(
                "SELECT count(*) FROM vectors v JOIN episodes e ON e.seq = v.seq "
                "WHERE e.namespace = ? AND v.model = ?",
                (namespace, model),
            ).fetchone()[0]
            entities, facts, notes, queued = conn.execute(
                "SELECT (SELECT count(*) FROM entities WHERE namespace = ?), "
                "(SELECT count(*) FROM facts WHERE namespace = ?), "
                "(SELECT count(*) FROM notes WHERE namespace = ?), "
                "(SELECT count(*) FROM extraction_queue q JOIN episodes e ON e.seq = q.seq "
                "WHERE e.namespace = ?)",
                (namespace,) * 4,
            ).fetchone()
        return NamespaceStats(
            namespace=namespace,
            episodes=int(live),
            deleted=int(deleted),
            sessions=int(sessions),
            vectors=int(vectors),
            pending_vectors=int(live) + int(deleted) - int(vectors),
            first_occurred_at=None if first is None else from_us(int(first)),
            last_occurred_at=None if last is None else from_us(int(last)),
            entities=int(entities),
            facts=int(facts),
            notes=int(notes),
            queued_for_extraction=int(queued),
        )
