"""SQLite storage of background jobs, working memory (tasks, subgoals) and API keys."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime

from memstrata.model import JobState, JSONValue, Subgoal, Task
from memstrata.store.base import ApiKey, JobRow
from memstrata.store.rows import JOB_STATES, integer, literal, maybe_integer, maybe_time, time
from memstrata.store.sql.connection import Database, Reader
from memstrata.store.sql.dialect import Dialect, marks
from memstrata.timeutil import to_us

_JOB = (
    "SELECT job_id, namespace, kind, state, params, phase, cursor, done, total, attempts, "
    "owner, heartbeat_at, created_at, started_at, finished_at, error, result FROM jobs"
)


def _job(r: Sequence[object]) -> JobRow:
    return JobRow(
        id=str(r[0]),
        namespace=str(r[1]),
        kind=str(r[2]),
        state=literal(r[3], JOB_STATES, "state"),
        params=json.loads(str(r[4])),
        phase=str(r[5]),
        cursor=json.loads(str(r[6])),
        done=integer(r[7], "done"),
        total=integer(r[8], "total"),
        attempts=integer(r[9], "attempts"),
        owner=None if r[10] is None else str(r[10]),
        heartbeat_at=maybe_time(r[11], "heartbeat_at"),
        created_at=time(r[12], "created_at"),
        started_at=maybe_time(r[13], "started_at"),
        finished_at=maybe_time(r[14], "finished_at"),
        error=None if r[15] is None else str(r[15]),
        result=json.loads(str(r[16])),
    )


class SqlJobs:
    def __init__(self, db: Database) -> None:
        self._db = db

    def enqueue(
        self, job_id: str, namespace: str, kind: str, params: Mapping[str, JSONValue], at: datetime
    ) -> JobRow:
        """Queue a job, unless one of the same kind is already queued or running for
        the namespace: that one is returned instead (enqueueing is idempotent)."""
        with self._db.write("queue a job") as conn:
            row = conn.execute(
                f"{_JOB} WHERE namespace = ? AND kind = ? AND state IN ('queued', 'running') "
                "ORDER BY created_at LIMIT 1",
                (namespace, kind),
            ).fetchone()
            if row is None:
                conn.execute(
                    "INSERT INTO jobs(job_id, namespace, kind, state, params, created_at) "
                    "VALUES (?, ?, ?, 'queued', ?, ?)",
                    (job_id, namespace, kind, json.dumps(params), to_us(at)),
                )
                row = conn.execute(f"{_JOB} WHERE job_id = ?", (job_id,)).fetchone()
        return _job(row)

    def claim(
        self, owner: str, at: datetime, stale: Sequence[str], job_id: str | None = None
    ) -> JobRow | None:
        """Take the oldest queued job (or ``job_id``), or a running one whose owner is
        in ``stale`` (a worker that died): it becomes ours, attempts + 1."""
        owners = list(stale)
        holes = marks(len(owners))
        only = "" if job_id is None else "AND job_id = ? "
        with self._db.write("claim a job") as conn:
            row = conn.execute(
                f"SELECT job_id FROM jobs WHERE (state = 'queued' OR (state = 'running' "
                f"AND owner IN ({holes}))) {only}ORDER BY created_at LIMIT 1",
                (*owners, *([] if job_id is None else [job_id])),
            ).fetchone()
            if row is None:
                return None
            conn.execute(
                "UPDATE jobs SET state = 'running', owner = ?, heartbeat_at = ?, "
                "attempts = attempts + 1, started_at = coalesce(started_at, ?) WHERE job_id = ?",
                (owner, to_us(at), to_us(at), row[0]),
            )
            return _job(conn.execute(f"{_JOB} WHERE job_id = ?", (row[0],)).fetchone())

    def running_owners(self) -> list[tuple[str, datetime | None]]:
        with self._db.errors("read jobs"):
            rows = (
                self._db.read()
                .execute("SELECT DISTINCT owner, heartbeat_at FROM jobs WHERE state = 'running'")
                .fetchall()
            )
        return [(str(r[0]), maybe_time(r[1])) for r in rows if r[0] is not None]

    def progress(
        self,
        job_id: str,
        owner: str,
        phase: str,
        cursor: Mapping[str, JSONValue],
        done: int,
        total: int,
        at: datetime,
    ) -> bool:
        """Record progress (a heartbeat); False when the job is no longer ours."""
        with self._db.write("record job progress") as conn:
            changed = conn.execute(
                "UPDATE jobs SET phase = ?, cursor = ?, done = ?, total = ?, heartbeat_at = ? "
                "WHERE job_id = ? AND owner = ? AND state = 'running'",
                (phase, json.dumps(cursor), done, total, to_us(at), job_id, owner),
            ).rowcount
        return bool(changed)

    def finish(
        self,
        job_id: str,
        owner: str,
        state: JobState,
        at: datetime,
        result: Mapping[str, JSONValue] | None = None,
        error: str | None = None,
    ) -> None:
        with self._db.write("finish a job") as conn:
            conn.execute(
                "UPDATE jobs SET state = ?, finished_at = ?, result = ?, error = ? "
                "WHERE job_id = ? AND owner = ?",
                (state, to_us(at), json.dumps(result or {}), error, job_id, owner),
            )

    def get(self, job_id: str) -> JobRow | None:
        with self._db.errors("read jobs"):
            row = self._db.read().execute(f"{_JOB} WHERE job_id = ?", (job_id,)).fetchone()
        return None if row is None else _job(row)

    def list(self, namespace: str | None, limit: int) -> list[JobRow]:
        where, params = ("", ()) if namespace is None else ("WHERE namespace = ? ", (namespace,))
        with self._db.errors("read jobs"):
            rows = (
                self._db.read()
                .execute(f"{_JOB} {where}ORDER BY created_at DESC LIMIT ?", (*params, limit))
                .fetchall()
            )
        return [_job(r) for r in rows]


class SqlTasks:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._sql = db.dialect

    def open_task(self, namespace: str, task_id: str, title: str, at: datetime) -> None:
        with self._db.write("open a task") as conn:
            conn.execute(
                self._sql.insert("namespaces", "name, created_at", conflict="ignore"),
                (namespace, to_us(at)),
            )
            conn.execute(
                "INSERT INTO tasks(task_id, namespace, title, opened_at) VALUES (?, ?, ?, ?)",
                (task_id, namespace, title, to_us(at)),
            )

    def open_subgoal(self, task_id: str, subgoal_id: str, title: str, at: datetime) -> None:
        with self._db.write("open a subgoal") as conn:
            conn.execute(
                "INSERT INTO subgoals(subgoal_id, task_id, title, opened_at) VALUES (?, ?, ?, ?)",
                (subgoal_id, task_id, title, to_us(at)),
            )

    def close(self, table: str, record_id: str, note_id: str | None, at: datetime) -> None:
        """Close a task or a subgoal (``table``: tasks / subgoals) with its summary note."""
        key = {"tasks": "task_id", "subgoals": "subgoal_id"}[table]
        with self._db.write("close") as conn:
            conn.execute(
                f"UPDATE {table} SET closed_at = ?, note_id = ? WHERE {key} = ? "
                "AND closed_at IS NULL",
                (to_us(at), note_id, record_id),
            )

    def get(self, namespace: str, task_id: str) -> Task | None:
        with self._db.errors("read a task"):
            conn = self._db.read()
            row = conn.execute(
                "SELECT task_id, namespace, title, opened_at, closed_at, note_id FROM tasks "
                "WHERE namespace = ? AND task_id = ?",
                (namespace, task_id),
            ).fetchone()
            if row is None:
                return None
            return _task(conn, self._sql, row)

    def list(self, namespace: str, open_only: bool, limit: int) -> list[Task]:
        where = " AND closed_at IS NULL" if open_only else ""
        with self._db.errors("read tasks"):
            conn = self._db.read()
            rows = conn.execute(
                "SELECT task_id, namespace, title, opened_at, closed_at, note_id FROM tasks "
                f"WHERE namespace = ?{where} ORDER BY opened_at DESC LIMIT ?",
                (namespace, limit),
            ).fetchall()
            return [_task(conn, self._sql, r) for r in rows]


def _task(conn: Reader, sql: Dialect, row: Sequence[object]) -> Task:
    subgoals = conn.execute(
        "SELECT g.subgoal_id, g.task_id, g.title, g.opened_at, g.closed_at, g.note_id, "
        "(SELECT count(*) FROM episodes e WHERE e.namespace = ? AND e.session_id = g.task_id "
        f"AND {sql.json_field('e.metadata', 'subgoal_id')} = g.subgoal_id) "
        "FROM subgoals g WHERE g.task_id = ? ORDER BY g.opened_at, g.rowid",
        (row[1], row[0]),
    ).fetchall()
    return Task(
        id=str(row[0]),
        namespace=str(row[1]),
        title=str(row[2]),
        opened_at=time(row[3], "opened_at"),
        closed_at=maybe_time(row[4], "closed_at"),
        note_id=None if row[5] is None else str(row[5]),
        subgoals=tuple(
            Subgoal(
                id=str(g[0]),
                task_id=str(g[1]),
                title=str(g[2]),
                opened_at=time(g[3], "opened_at"),
                closed_at=maybe_time(g[4], "closed_at"),
                note_id=None if g[5] is None else str(g[5]),
                steps=integer(g[6], "steps"),
            )
            for g in subgoals
        ),
    )


class SqlKeys:
    def __init__(self, db: Database) -> None:
        self._db = db

    def put(self, key: ApiKey, secret_hash: str) -> None:
        with self._db.write("store an API key") as conn:
            conn.execute(
                "INSERT INTO api_keys(key_id, secret_hash, name, namespaces, is_admin, "
                "rate_per_minute, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    key.id,
                    secret_hash,
                    key.name,
                    json.dumps(list(key.namespaces)),
                    int(key.is_admin),
                    key.rate_per_minute,
                    to_us(key.created_at),
                ),
            )

    def get(self, key_id: str) -> tuple[ApiKey, str] | None:
        with self._db.errors("read an API key"):
            row = self._db.read().execute(f"{_KEY} WHERE key_id = ?", (key_id,)).fetchone()
        return None if row is None else (_key(row), str(row[7]))

    def list(self) -> list[ApiKey]:
        with self._db.errors("read API keys"):
            rows = self._db.read().execute(f"{_KEY} ORDER BY created_at").fetchall()
        return [_key(r) for r in rows]

    def revoke(self, key_id: str, at: datetime) -> bool:
        with self._db.write("revoke an API key") as conn:
            changed = conn.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL",
                (to_us(at), key_id),
            ).rowcount
        return bool(changed)


_KEY = (
    "SELECT key_id, name, namespaces, is_admin, rate_per_minute, created_at, revoked_at, "
    "secret_hash FROM api_keys"
)


def _key(r: Sequence[object]) -> ApiKey:
    return ApiKey(
        id=str(r[0]),
        name=str(r[1]),
        namespaces=tuple(json.loads(str(r[2]))),
        is_admin=bool(r[3]),
        rate_per_minute=maybe_integer(r[4], "rate_per_minute"),
        created_at=time(r[5], "created_at"),
        revoked_at=maybe_time(r[6], "revoked_at"),
    )
