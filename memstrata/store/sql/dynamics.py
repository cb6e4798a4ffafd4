"""SQLite storage of strength, summaries and forgetting policies (memory dynamics)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from memstrata.model import Policy, Strength, Summary, SummaryLevel
from memstrata.store.rows import (
    LAYERS,
    SUMMARY_LEVELS,
    integer,
    literal,
    maybe_integer,
    maybe_real,
    maybe_text,
    maybe_time,
    real,
    time,
)
from memstrata.store.sql.connection import Database, Session
from memstrata.store.sql.dialect import Dialect, marks
from memstrata.timeutil import to_us

_STRENGTH = (
    "SELECT record_kind, record_id, namespace, layer, importance, stability_days, "
    "reinforced_at, recalls, pinned, archived_at, archive_reason FROM strength"
)


def _summary_select(sql: Dialect) -> str:
    return (
        "SELECT s.summary_id, s.namespace, s.level, s.title, s.text, s.started_at, "
        f"s.ended_at, s.updated_at, s.child_kind, (SELECT {sql.json_array('child_id')} FROM "
        "(SELECT child_id FROM summary_children c WHERE c.summary_id = s.summary_id "
        "ORDER BY position) ordered) FROM summaries s"
    )


_CHUNK = 500


def _strength(r: Sequence[object]) -> Strength:
    return Strength(
        record_kind=str(r[0]),
        record_id=str(r[1]),
        namespace=str(r[2]),
        layer=literal(r[3], LAYERS, "layer"),
        importance=real(r[4], "importance"),
        stability_days=real(r[5], "stability_days"),
        reinforced_at=time(r[6], "reinforced_at"),
        recalls=integer(r[7], "recalls"),
        is_pinned=bool(r[8]),
        archived_at=maybe_time(r[9], "archived_at"),
        archive_reason=maybe_text(r[10]),
    )


def _summary(r: Sequence[object]) -> Summary:
    return Summary(
        id=str(r[0]),
        namespace=str(r[1]),
        level=literal(r[2], SUMMARY_LEVELS, "level"),
        title=str(r[3]),
        text=str(r[4]),
        started_at=time(r[5], "started_at"),
        ended_at=time(r[6], "ended_at"),
        updated_at=time(r[7], "updated_at"),
        child_kind=str(r[8]),
        children=tuple(json.loads(str(r[9]))),
    )


def _history(
    conn: Session, namespace: str, rows: Sequence[tuple[str, str, str, str]], at: int
) -> None:
    conn.executemany(
        "INSERT INTO history(namespace, record_kind, record_id, action, reason, at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [
            (namespace, kind, record_id, action, reason, at)
            for kind, record_id, action, reason in rows
        ],
    )


# A new record's strength: the columns without a default.
_NEW_STRENGTH = (
    "record_kind, record_id, namespace, layer, importance, stability_days, reinforced_at"
)
_STRENGTH_COLUMNS = f"{_NEW_STRENGTH}, recalls, pinned, archived_at, archive_reason"


def _put_strengths(conn: Session, sql: Dialect, states: Sequence[Strength]) -> None:
    conn.executemany(
        sql.insert("strength", _STRENGTH_COLUMNS, conflict="replace"),
        [
            (
                s.record_kind,
                s.record_id,
                s.namespace,
                s.layer,
                s.importance,
                s.stability_days,
                to_us(s.reinforced_at),
                s.recalls,
                int(s.is_pinned),
                None if s.archived_at is None else to_us(s.archived_at),
                s.archive_reason,
            )
            for s in states
        ],
    )


class SqlDynamics:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._sql = db.dialect
        self._summary = _summary_select(db.dialect)

    # -- strength --------------------------------------------------------------

    def strengths(
        self, namespace: str, record_kind: str, ids: Sequence[str] | None = None
    ) -> dict[str, Strength]:
        with self._db.errors("read strength"):
            conn = self._db.read()
            if ids is None:
                rows = conn.execute(
                    f"{_STRENGTH} WHERE namespace = ? AND record_kind = ?",
                    (namespace, record_kind),
                ).fetchall()
            else:
                rows = []
                for start in range(0, len(ids), _CHUNK):
                    chunk = list(ids[start : start + _CHUNK])
                    rows += conn.execute(
                        f"{_STRENGTH} WHERE namespace = ? AND record_kind = ? "
                        f"AND record_id IN ({marks(len(chunk))})",
                        (namespace, record_kind, *chunk),
                    ).fetchall()
        return {str(r[1]): _strength(r) for r in rows}

    def put_strengths(
        self, namespace: str, states: Sequence[Strength], history: Sequence[tuple[str, str]] = ()
    ) -> None:
        """Store states; ``history`` rows are (action, reason) per state, or none."""
        if any(s.namespace != namespace for s in states):
            raise ValueError("a strength of another namespace")
        with self._db.write("store strength", namespace) as conn:
            _put_strengths(conn, self._sql, states)
            if history:
                at = to_us(max(s.reinforced_at for s in states)) if states else 0
                _history(
                    conn,
                    namespace,
                    [
                        (s.record_kind, s.record_id, action, reason)
                        for s, (action, reason) in zip(states, history, strict=True)
                    ],
                    at,
                )

    def archive(
        self, namespace: str, states: Sequence[Strength], reasons: Sequence[str], at: datetime
    ) -> int:
        """Mark records archived (with the state they had), one history row each."""
        when = to_us(at)
        with self._db.write("archive", namespace) as conn:
            _put_strengths(conn, self._sql, states)
            conn.executemany(
                "UPDATE strength SET archived_at = ?, archive_reason = ? "
                "WHERE record_kind = ? AND record_id = ? AND namespace = ?",
                [
                    (when, reason, s.record_kind, s.record_id, namespace)
                    for s, reason in zip(states, reasons, strict=True)
                ],
            )
            _history(
                conn,
                namespace,
                [
                    (s.record_kind, s.record_id, "archive", reason)
                    for s, reason in zip(states, reasons, strict=True)
                ],
                when,
            )
        return len(states)

    def unarchive(self, namespace: str, record_kind: str, record_id: str, at: datetime) -> bool:
        """Bring an archived record back (its strength restarts at ``at``)."""
        with self._db.write("restore", namespace) as conn:
            changed = conn.execute(
                "UPDATE strength SET archived_at = NULL, archive_reason = NULL, reinforced_at = ? "
                "WHERE record_kind = ? AND record_id = ? AND namespace = ? "
                "AND archived_at IS NOT NULL",
                (to_us(at), record_kind, record_id, namespace),
            ).rowcount
            if changed:
                _history(conn, namespace, [(record_kind, record_id, "restore", "asked")], to_us(at))
        return bool(changed)

    def note_ids_of(self, namespace: str, episode_ids: Sequence[str]) -> list[str]:
        """Notes that rest on any of these episodes."""
        with self._db.errors("find notes of episodes"):
            return list(dict.fromkeys(self._sourced(namespace, episode_ids, "note")))

    def fact_episodes(self, namespace: str, episode_ids: Sequence[str]) -> set[str]:
        """The episodes, among these, that a live fact rests on."""
        with self._db.errors("find fact sources"):
            conn = self._db.read()
            found = set()
            for episode_id, fact_id in self._sourced_by(namespace, episode_ids, "fact"):
                live = conn.execute(
                    "SELECT 1 FROM facts WHERE fact_id = ? AND expired_at IS NULL", (fact_id,)
                ).fetchone()
                if live is not None:
                    found.add(episode_id)
            return found

    def _sourced(self, namespace: str, episode_ids: Sequence[str], kind: str) -> list[str]:
        return [record_id for _, record_id in self._sourced_by(namespace, episode_ids, kind)]

    def _sourced_by(
        self, namespace: str, episode_ids: Sequence[str], kind: str
    ) -> list[tuple[str, str]]:
        """(episode id, record id) of the records of ``kind`` resting on the episodes.

        One lookup per episode on sources(seq, record_kind): joined in one
        statement, SQLite would walk every source of the kind in the file."""
        wanted = list(dict.fromkeys(episode_ids))
        conn = self._db.read()
        found: list[tuple[str, str]] = []
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            seqs = conn.execute(
                "SELECT episode_id, seq FROM episodes WHERE namespace = ? "
                f"AND episode_id IN ({marks(len(chunk))})",
                (namespace, *chunk),
            ).fetchall()
            for episode_id, seq in seqs:
                found.extend(
                    (str(episode_id), str(r[0]))
                    for r in conn.execute(
                        "SELECT record_id FROM sources WHERE seq = ? AND record_kind = ?",
                        (seq, kind),
                    )
                )
        return found

    def merge_note(
        self, namespace: str, survivor: Strength, merged: Strength, reason: str, at: datetime
    ) -> None:
        """Fold note ``merged`` into ``survivor``: its episodes, tags and links move to
        the survivor (with its new state), ``merged`` is archived; history on both."""
        when = to_us(at)
        with self._db.write("merge notes", namespace) as conn:
            conn.execute(
                self._sql.insert(
                    "sources",
                    "record_kind, record_id, seq",
                    "SELECT 'note', ?, seq FROM sources WHERE record_kind = 'note' "
                    "AND record_id = ?",
                    conflict="ignore",
                ),
                (survivor.record_id, merged.record_id),
            )
            tags = conn.execute(
                "SELECT note_id, tags FROM notes WHERE note_id IN (?, ?) AND namespace = ?",
                (survivor.record_id, merged.record_id, namespace),
            ).fetchall()
            union = dict.fromkeys(t for _, value in tags for t in str(value).split("\t") if t)
            conn.execute(
                "UPDATE notes SET tags = ? WHERE note_id = ?",
                ("\t".join(union), survivor.record_id),
            )
            conn.execute(
                self._sql.insert(
                    "note_links",
                    "note_id, other_id, score, reason, created_at",
                    "SELECT ?, other_id, score, reason, created_at FROM note_links "
                    "WHERE note_id = ? AND other_id != ?",
                    conflict="ignore",
                ),
                (survivor.record_id, merged.record_id, survivor.record_id),
            )
            _put_strengths(conn, self._sql, [survivor, merged])
            conn.execute(
                "UPDATE strength SET archived_at = ?, archive_reason = ? "
                "WHERE record_kind = 'note' AND record_id = ?",
                (when, f"merged into {survivor.record_id}", merged.record_id),
            )
            _history(
                conn,
                namespace,
                [
                    ("note", survivor.record_id, "merge", f"{reason}: took in {merged.record_id}"),
                    ("note", merged.record_id, "archive", f"merged into {survivor.record_id}"),
                ],
                when,
            )

    # -- summaries -------------------------------------------------------------

    def fingerprints(self, namespace: str, level: SummaryLevel) -> dict[str, str]:
        with self._db.errors("read summaries"):
            rows = (
                self._db.read()
                .execute(
                    "SELECT summary_id, fingerprint FROM summaries WHERE namespace = ? "
                    "AND level = ?",
                    (namespace, level),
                )
                .fetchall()
            )
        return {str(a): str(b) for a, b in rows}

    def put_summaries(
        self, namespace: str, summaries: Sequence[tuple[Summary, str]], strength: Strength
    ) -> None:
        """Write (summary, fingerprint) pairs, each with its children, in one transaction;
        a summary already stored is replaced whole (never half-written). New ones get
        a copy of ``strength`` (its record id replaced)."""
        with self._db.write("store summaries", namespace) as conn:
            for summary, fingerprint in summaries:
                if summary.namespace != namespace:
                    raise ValueError("a summary of another namespace")
                _put_summary(conn, self._sql, summary, fingerprint)
                conn.execute(
                    self._sql.insert(
                        "strength",
                        _NEW_STRENGTH,
                        "VALUES ('summary', ?, ?, ?, ?, ?, ?)",
                        conflict="ignore",
                    ),
                    (
                        summary.id,
                        namespace,
                        strength.layer,
                        strength.importance,
                        strength.stability_days,
                        to_us(summary.updated_at),
                    ),
                )

    def drop_summaries(self, namespace: str, level: SummaryLevel, keep: Sequence[str]) -> int:
        """Delete the summaries of ``level`` not in ``keep`` (what they summed up is gone
        or regrouped); they are derived and rebuilt, so nothing is lost."""
        with self._db.write("drop summaries", namespace) as conn:
            ids = [
                str(r[0])
                for r in conn.execute(
                    "SELECT summary_id FROM summaries WHERE namespace = ? AND level = ?",
                    (namespace, level),
                )
            ]
            gone = sorted(set(ids) - set(keep))
            for summary_id in gone:
                conn.execute("DELETE FROM summaries WHERE summary_id = ?", (summary_id,))
                conn.execute(
                    "DELETE FROM strength WHERE record_kind = 'summary' AND record_id = ?",
                    (summary_id,),
                )
        return len(gone)

    def summaries(
        self,
        namespace: str,
        *,
        level: SummaryLevel | None = None,
        ids: Sequence[str] | None = None,
        include_archived: bool = False,
    ) -> list[Summary]:
        where, params = ["s.namespace = ?"], [namespace]
        if level is not None:
            where.append("s.level = ?")
            params.append(level)
        if ids is not None:
            if not ids:
                return []
            where.append(f"s.summary_id IN ({marks(len(ids))})")
            params += list(ids)
        if not include_archived:
            where.append(
                "s.summary_id NOT IN (SELECT record_id FROM strength WHERE namespace = ? "
                "AND record_kind = 'summary' AND archived_at IS NOT NULL)"
            )
            params.append(namespace)
        with self._db.errors("read summaries"):
            rows = (
                self._db.read()
                .execute(
                    f"{self._summary} WHERE {' AND '.join(where)} "
                    "ORDER BY s.started_at, s.summary_id",
                    params,
                )
                .fetchall()
            )
        return [_summary(r) for r in rows]

    # -- policies --------------------------------------------------------------

    def policy(self, namespace: str) -> Policy | None:
        with self._db.errors("read policy"):
            row = (
                self._db.read()
                .execute(
                    "SELECT namespace, forget_below, forget_every_s, consolidate_every_s, "
                    "last_forget_at, last_consolidate_at FROM policies WHERE namespace = ?",
                    (namespace,),
                )
                .fetchone()
            )
        return None if row is None else _policy(row)

    def policies(self) -> list[Policy]:
        with self._db.errors("read policies"):
            rows = (
                self._db.read()
                .execute(
                    "SELECT namespace, forget_below, forget_every_s, consolidate_every_s, "
                    "last_forget_at, last_consolidate_at FROM policies ORDER BY namespace"
                )
                .fetchall()
            )
        return [_policy(r) for r in rows]

    def set_policy(self, policy: Policy) -> None:
        with self._db.write("store policy") as conn:
            conn.execute(
                self._sql.insert(
                    "policies",
                    "namespace, forget_below, forget_every_s, consolidate_every_s, "
                    "last_forget_at, last_consolidate_at",
                    conflict="replace",
                ),
                (
                    policy.namespace,
                    policy.forget_below,
                    policy.forget_every_s,
                    policy.consolidate_every_s,
                    None if policy.last_forget_at is None else to_us(policy.last_forget_at),
                    None
                    if policy.last_consolidate_at is None
                    else to_us(policy.last_consolidate_at),
                ),
            )


def _policy(r: Sequence[object]) -> Policy:
    return Policy(
        namespace=str(r[0]),
        forget_below=maybe_real(r[1], "forget_below"),
        forget_every_s=maybe_integer(r[2], "forget_every_s"),
        consolidate_every_s=maybe_integer(r[3], "consolidate_every_s"),
        last_forget_at=maybe_time(r[4], "last_forget_at"),
        last_consolidate_at=maybe_time(r[5], "last_consolidate_at"),
    )


def _put_summary(conn: Session, sql: Dialect, summary: Summary, fingerprint: str) -> None:
    row = conn.execute(
        "SELECT fingerprint, text, created_at FROM summaries WHERE summary_id = ?", (summary.id,)
    ).fetchone()
    if row is not None and row[0] == fingerprint and row[1] == summary.text:
        return
    updated = to_us(summary.updated_at)
    conn.execute(
        sql.insert(
            "summaries",
            "summary_id, namespace, level, title, text, started_at, ended_at, fingerprint, "
            "child_kind, created_at, updated_at",
            conflict="replace",
        ),
        (
            summary.id,
            summary.namespace,
            summary.level,
            summary.title,
            summary.text,
            to_us(summary.started_at),
            to_us(summary.ended_at),
            fingerprint,
            summary.child_kind,
            updated if row is None else int(row[2]),
            updated,
        ),
    )
    conn.execute("DELETE FROM summary_children WHERE summary_id = ?", (summary.id,))
    conn.executemany(
        "INSERT INTO summary_children(summary_id, position, child_id) VALUES (?, ?, ?)",
        [(summary.id, i, child) for i, child in enumerate(summary.children)],
    )
    _history(
        conn,
        summary.namespace,
        [("summary", summary.id, "summarise" if row is None else "update", summary.level)],
        updated,
    )
