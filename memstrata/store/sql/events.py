"""SQLite storage of events (layer 1)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from memstrata.model import Event
from memstrata.store.base import Turn
from memstrata.store.sql.connection import Database
from memstrata.store.sql.dialect import marks
from memstrata.timeutil import from_us, now, to_us

_CHUNK = 500


class SqlEvents:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._sql = db.dialect

    def session_tail(
        self, namespace: str, session_id: str | None, model: str, limit: int
    ) -> list[Turn]:
        # a session's rows come from its index (the time index would walk the whole
        # namespace backwards looking for them); a session-less stream reads newest first
        same = "e.session_id IS NULL" if session_id is None else "e.session_id = ?"
        hint = "" if session_id is None else self._sql.indexed_by("episodes_by_session")
        params: list[object] = [model, namespace]
        if session_id is not None:
            params.append(session_id)
        with self._db.errors("read a session"):
            rows = (
                self._db.read()
                .execute(
                    "SELECT e.seq, e.episode_id, e.occurred_at, e.speaker, e.content, v.vector "
                    f"FROM episodes e{hint} LEFT JOIN vectors v ON v.seq = e.seq AND v.model = ? "
                    f"WHERE e.namespace = ? AND {same} AND e.deleted_at IS NULL "
                    "ORDER BY e.occurred_at DESC, e.seq DESC LIMIT ?",
                    (*params, limit),
                )
                .fetchall()
            )
        return [
            Turn(
                int(r[0]),
                str(r[1]),
                from_us(int(r[2])),
                f"{r[3]}: {r[4]}" if r[3] else str(r[4]),
                r[5],
            )
            for r in reversed(rows)
        ]

    def replace(
        self, namespace: str, covered: Sequence[int], events: Sequence[tuple[Event, Sequence[int]]]
    ) -> None:
        with self._db.write("store events", namespace) as conn:
            for start in range(0, len(covered), _CHUNK):
                chunk = list(covered[start : start + _CHUNK])
                holes = marks(len(chunk))
                conn.execute(
                    "DELETE FROM events WHERE event_id IN (SELECT event_id FROM event_episodes "
                    f"WHERE seq IN ({holes}))",
                    chunk,
                )
            created = to_us(now())
            for event, seqs in events:
                conn.execute(
                    self._sql.insert(
                        "events",
                        "event_id, namespace, session_id, title, started_at, ended_at, created_at",
                        conflict="replace",
                    ),
                    (
                        event.id,
                        namespace,
                        event.session_id,
                        event.title,
                        to_us(event.started_at),
                        to_us(event.ended_at),
                        created,
                    ),
                )
                conn.executemany(
                    self._sql.insert("event_episodes", "seq, event_id", conflict="replace"),
                    [(seq, event.id) for seq in seqs],
                )

    def take_dirty(self, namespace: str) -> list[str | None]:
        """Sessions changed since they were last segmented; taking them clears the marks."""
        with self._db.write("read dirty sessions", namespace) as conn:
            keys = [
                str(r[0])
                for r in conn.execute(
                    "SELECT session_key FROM dirty_sessions WHERE namespace = ?", (namespace,)
                )
            ]
            conn.execute("DELETE FROM dirty_sessions WHERE namespace = ?", (namespace,))
        return [key or None for key in keys]

    def mark_dirty(self, namespace: str, sessions: Sequence[str | None]) -> None:
        with self._db.write("mark sessions", namespace) as conn:
            conn.executemany(
                self._sql.insert("dirty_sessions", "namespace, session_key", conflict="ignore"),
                [(namespace, s or "") for s in sessions],
            )

    def dirty_namespaces(self) -> list[str]:
        with self._db.errors("read dirty sessions"):
            rows = (
                self._db.read().execute("SELECT DISTINCT namespace FROM dirty_sessions").fetchall()
            )
        return [str(r[0]) for r in rows]

    def list(self, namespace: str, session_id: str | None = None) -> list[Event]:
        where, params = "v.namespace = ?", [namespace]
        if session_id is not None:
            where += " AND v.session_id = ?"
            params.append(session_id)
        with self._db.errors("list events"):
            rows = (
                self._db.read()
                .execute(
                    "SELECT v.event_id, v.namespace, v.session_id, v.title, v.started_at, "
                    f"v.ended_at, (SELECT {self._sql.json_array('e.episode_id')} FROM "
                    "(SELECT x.episode_id FROM event_episodes m JOIN episodes x ON x.seq = m.seq "
                    "WHERE m.event_id = v.event_id ORDER BY x.occurred_at, x.seq) e) "
                    f"FROM events v WHERE {where} ORDER BY v.started_at, v.event_id",
                    params,
                )
                .fetchall()
            )
        return [
            Event(
                str(r[0]),
                str(r[1]),
                None if r[2] is None else str(r[2]),
                str(r[3]),
                from_us(int(r[4])),
                from_us(int(r[5])),
                tuple(json.loads(str(r[6]))),
            )
            for r in rows
        ]
