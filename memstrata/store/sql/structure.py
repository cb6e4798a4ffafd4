"""Storage of entities, facts, notes, provenance and history, in SQL both
backends run (each through its dialect)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

from memstrata.errors import AlreadyExtracted
from memstrata.model import Entity, Fact, HistoryEntry, Note
from memstrata.store.base import ChangeSet, RecallRow
from memstrata.store.rows import NOTE_KINDS, literal, maybe_time, time
from memstrata.store.sql.connection import Database, Session
from memstrata.store.sql.dialect import Dialect, marks
from memstrata.timeutil import from_us, to_us


def _sources(sql: Dialect, kind: str, column: str) -> str:
    return (
        f"(SELECT {sql.json_array('e.episode_id')} FROM sources s "
        f"JOIN episodes e ON e.seq = s.seq WHERE s.record_kind = '{kind}' "
        f"AND s.record_id = {column})"
    )


class _Selects:
    """The selects of whole records, each with its sources and links as JSON arrays."""

    def __init__(self, sql: Dialect) -> None:
        self.entity = (
            "SELECT x.entity_id, x.namespace, x.name, x.kind, x.created_at, "
            f"(SELECT {sql.json_array('a.alias')} FROM entity_aliases a "
            f"WHERE a.entity_id = x.entity_id), {_sources(sql, 'entity', 'x.entity_id')} "
            "FROM entities x"
        )
        self.fact = (
            "SELECT f.fact_id, f.namespace, f.subject_id, s.name, f.predicate, f.object, "
            "f.object_id, f.statement, f.valid_at, f.invalid_at, f.created_at, f.expired_at, "
            f"{_sources(sql, 'fact', 'f.fact_id')} "
            "FROM facts f JOIN entities s ON s.entity_id = f.subject_id"
        )
        self.note = (
            "SELECT n.note_id, n.namespace, n.kind, n.text, n.keywords, n.speaker, "
            f"n.occurred_at, n.created_at, {_sources(sql, 'note', 'n.note_id')}, n.tags, "
            f"(SELECT {sql.json_array('l.other_id')} FROM note_links l "
            "WHERE l.note_id = n.note_id) FROM notes n"
        )


def _entity(r: Sequence[object]) -> Entity:
    return Entity(
        id=str(r[0]),
        namespace=str(r[1]),
        name=str(r[2]),
        kind=str(r[3]),
        created_at=time(r[4], "created_at"),
        aliases=tuple(json.loads(str(r[5]))),
        episode_ids=tuple(json.loads(str(r[6]))),
    )


def _fact(r: Sequence[object]) -> Fact:
    return Fact(
        id=str(r[0]),
        namespace=str(r[1]),
        subject_id=str(r[2]),
        subject=str(r[3]),
        predicate=str(r[4]),
        object=str(r[5]),
        object_id=None if r[6] is None else str(r[6]),
        statement=str(r[7]),
        valid_at=time(r[8], "valid_at"),
        invalid_at=maybe_time(r[9], "invalid_at"),
        created_at=time(r[10], "created_at"),
        expired_at=maybe_time(r[11], "expired_at"),
        episode_ids=tuple(json.loads(str(r[12]))),
    )


def _note(r: Sequence[object]) -> Note:
    return Note(
        id=str(r[0]),
        namespace=str(r[1]),
        kind=literal(r[2], NOTE_KINDS, "kind"),
        text=str(r[3]),
        keywords=tuple(str(r[4]).split()),
        speaker=None if r[5] is None else str(r[5]),
        occurred_at=time(r[6], "occurred_at"),
        created_at=time(r[7], "created_at"),
        episode_ids=tuple(json.loads(str(r[8]))),
        tags=tuple(t for t in str(r[9]).split("\t") if t),
        links=tuple(json.loads(str(r[10]))),
    )


RELATED_PER_KEYWORD = 200
# A note without its sources and links: what resolution compares.
_NOTE_REF = (
    "SELECT n.note_id, n.namespace, n.kind, n.text, n.keywords, n.speaker, n.occurred_at, "
    "n.created_at, '[]', n.tags, '[]' FROM notes n"
)


def _put_entities(conn: Session, sql: Dialect, namespace: str, changes: ChangeSet) -> None:
    """New entities and the aliases they are known by."""
    for entity, norm in changes.entities:
        conn.execute(
            "INSERT INTO entities(entity_id, namespace, name, norm, kind, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (entity.id, namespace, entity.name, norm, entity.kind, to_us(entity.created_at)),
        )
    conn.executemany(
        sql.insert("entity_aliases", "entity_id, namespace, alias, norm", conflict="ignore"),
        [(entity_id, namespace, alias, norm) for entity_id, alias, norm in changes.aliases],
    )


def _put_facts(conn: Session, sql: Dialect, namespace: str, changes: ChangeSet) -> None:
    """New facts with their key vectors, and the times facts were closed or expired."""
    keys, model = changes.key_vectors, changes.key_model
    conn.executemany(
        "INSERT INTO facts(fact_id, namespace, subject_id, predicate, object, object_id, "
        "statement, valid_at, invalid_at, created_at, expired_at, key_vector, key_model) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                f.id,
                namespace,
                f.subject_id,
                f.predicate,
                f.object,
                f.object_id,
                f.statement,
                to_us(f.valid_at),
                None if f.invalid_at is None else to_us(f.invalid_at),
                to_us(f.created_at),
                None if f.expired_at is None else to_us(f.expired_at),
                keys.get(f.id),
                model if f.id in keys else None,
            )
            for f in changes.facts
        ],
    )
    conn.executemany(
        "UPDATE facts SET invalid_at = ? WHERE fact_id = ?",
        [(to_us(at), fact_id) for fact_id, at in changes.closed],
    )
    conn.executemany(
        "UPDATE facts SET expired_at = ? WHERE fact_id = ?",
        [(to_us(at), fact_id) for fact_id, at in changes.expired],
    )


def _put_notes(conn: Session, sql: Dialect, namespace: str, changes: ChangeSet) -> None:
    """New notes with their key vectors and keywords, and tags given anew."""
    keys, model = changes.key_vectors, changes.key_model
    conn.executemany(
        "INSERT INTO notes(note_id, namespace, kind, text, norm, keywords, speaker, "
        "occurred_at, created_at, tags, key_vector, key_model) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                n.id,
                namespace,
                n.kind,
                n.text,
                norm,
                " ".join(n.keywords),
                n.speaker,
                to_us(n.occurred_at),
                to_us(n.created_at),
                "\t".join(n.tags),
                keys.get(n.id),
                model if n.id in keys else None,
            )
            for n, norm in changes.notes
        ],
    )
    conn.executemany(
        sql.insert("note_keywords", "note_id, namespace, keyword", conflict="ignore"),
        [(n.id, namespace, k) for n, _ in changes.notes for k in dict.fromkeys(n.keywords)],
    )
    conn.executemany(
        "UPDATE notes SET tags = ? WHERE note_id = ?",
        [("\t".join(tags), note_id) for note_id, tags in changes.tags.items()],
    )


def _put_links_and_sources(conn: Session, sql: Dialect, namespace: str, changes: ChangeSet) -> None:
    """Links between notes (both ways), and the episodes each record rests on."""
    conn.executemany(
        sql.insert(
            "note_links",
            "note_id, other_id, score, reason, created_at",
            conflict="ignore",
        ),
        [
            (a, b, score, reason, to_us(datetime.now(UTC)))
            for first, second, score, reason in changes.links
            for a, b in ((first, second), (second, first))
        ],
    )
    conn.executemany(
        sql.insert(
            "sources",
            "record_kind, record_id, seq",
            "SELECT ?, ?, seq FROM episodes WHERE namespace = ? AND episode_id = ?",
            conflict="ignore",
        ),
        [
            (kind, record_id, namespace, episode_id)
            for kind, record_id, episode_id in changes.sources
        ],
    )


class SqlStructure:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._sql = db.dialect
        self._select = _Selects(db.dialect)

    def apply(self, namespace: str, changes: ChangeSet, extractor: str, at: datetime) -> None:
        # an extraction pass can be redone from its episodes, which stay queued
        # until it commits: its commit need not wait for the disk
        durable = not changes.extracted
        with self._db.write("store structure", namespace, durable=durable) as conn:
            if changes.extracted:
                queued = conn.execute(
                    "SELECT count(*) FROM extraction_queue q JOIN episodes e ON e.seq = q.seq "
                    f"WHERE e.namespace = ? AND e.episode_id IN ({marks(len(changes.extracted))})",
                    (namespace, *changes.extracted),
                ).fetchone()[0]
                if queued < len(set(changes.extracted)):  # another process was first
                    raise AlreadyExtracted(f"{len(changes.extracted) - queued} episode(s)")
            self._write(conn, namespace, changes)
            at_us = to_us(at)
            done = [(namespace, episode_id) for episode_id in changes.extracted]
            conn.executemany(
                self._sql.insert(
                    "extracted",
                    "seq, extractor, at",
                    "SELECT seq, ?, ? FROM episodes WHERE namespace = ? AND episode_id = ?",
                    conflict="replace",
                ),
                [(extractor, at_us, *key) for key in done],
            )
            conn.executemany(
                "DELETE FROM extraction_queue WHERE seq = "
                "(SELECT seq FROM episodes WHERE namespace = ? AND episode_id = ?)",
                done,
            )
            conn.executemany(
                "INSERT INTO structure_log(namespace, seq) "
                "SELECT namespace, seq FROM episodes WHERE namespace = ? AND episode_id = ?",
                done,
            )
            conn.executemany(
                "INSERT INTO history(namespace, record_kind, record_id, action, reason, at, "
                "episode_ids) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (namespace, kind, record_id, action, reason, at_us, json.dumps(episode_ids))
                    for kind, record_id, action, reason, episode_ids in changes.history
                ],
            )

    def _write(self, conn: Session, namespace: str, changes: ChangeSet) -> None:
        for put in (_put_entities, _put_facts, _put_notes, _put_links_and_sources):
            put(conn, self._sql, namespace, changes)

    def entity_by_norm(self, namespace: str, norm: str) -> Entity | None:
        with self._db.errors("find entity"):
            row = (
                self._db.read()
                .execute(
                    f"{self._select.entity} WHERE x.namespace = ? AND (x.norm = ? "
                    "OR x.entity_id IN "
                    "(SELECT entity_id FROM entity_aliases WHERE namespace = ? AND norm = ?))",
                    (namespace, norm, namespace, norm),
                )
                .fetchone()
            )
        return None if row is None else _entity(row)

    def entity_ref(self, namespace: str, norm: str) -> tuple[str, str, str] | None:
        with self._db.errors("find entity"):
            row = (
                self._db.read()
                .execute(
                    "SELECT entity_id, name, kind FROM entities WHERE namespace = ? AND norm = ? "
                    "UNION ALL SELECT x.entity_id, x.name, x.kind FROM entity_aliases a "
                    "JOIN entities x ON x.entity_id = a.entity_id "
                    "WHERE a.namespace = ? AND a.norm = ? LIMIT 1",
                    (namespace, norm, namespace, norm),
                )
                .fetchone()
            )
        return None if row is None else (str(row[0]), str(row[1]), str(row[2]))

    def entity_names(
        self, namespace: str, since: datetime | None = None
    ) -> list[tuple[str, str, str]]:
        with self._db.errors("list entity names"):
            conn = self._db.read()
            if since is None:
                rows = conn.execute(
                    "SELECT entity_id, norm, kind FROM entities WHERE namespace = ? UNION ALL "
                    "SELECT a.entity_id, a.norm, x.kind FROM entity_aliases a "
                    "JOIN entities x ON x.entity_id = a.entity_id WHERE a.namespace = ?",
                    (namespace, namespace),
                ).fetchall()
            else:
                rows = conn.execute(
                    "SELECT entity_id, norm, kind FROM entities "
                    "WHERE namespace = ? AND created_at >= ?",
                    (namespace, to_us(since)),
                ).fetchall()
        return [(str(a), str(b), str(c)) for a, b, c in rows]

    def entities(
        self, namespace: str, *, ids: Sequence[str] | None = None, kind: str | None = None
    ) -> list[Entity]:
        where, params = ["x.namespace = ?"], [namespace]
        if ids is not None:
            if not ids:
                return []
            where.append(f"x.entity_id IN ({marks(len(ids))})")
            params += list(ids)
        if kind is not None:
            where.append("x.kind = ?")
            params.append(kind)
        with self._db.errors("list entities"):
            rows = (
                self._db.read()
                .execute(
                    f"{self._select.entity} WHERE {' AND '.join(where)} "
                    "ORDER BY x.created_at, x.name",
                    params,
                )
                .fetchall()
            )
        return [_entity(r) for r in rows]

    def facts(
        self,
        namespace: str,
        *,
        subject_id: str | None = None,
        predicate: str | None = None,
        entity_id: str | None = None,
    ) -> list[Fact]:
        where, params = ["f.namespace = ?"], [namespace]
        if subject_id is not None:
            where.append("f.subject_id = ?")
            params.append(subject_id)
        if predicate is not None:
            where.append("f.predicate = ?")
            params.append(predicate)
        if entity_id is not None:
            where.append("(f.subject_id = ? OR f.object_id = ?)")
            params += [entity_id, entity_id]
        with self._db.errors("list facts"):
            rows = (
                self._db.read()
                .execute(
                    f"{self._select.fact} WHERE {' AND '.join(where)} "
                    "ORDER BY f.valid_at, f.created_at",
                    params,
                )
                .fetchall()
            )
        return [_fact(r) for r in rows]

    def notes(
        self,
        namespace: str,
        *,
        kind: str | None = None,
        norm: str | None = None,
        speaker: str | None = None,
        limit: int = 1000,
        include_archived: bool = True,
        ids: Sequence[str] | None = None,
    ) -> list[Note]:
        where, params = ["n.namespace = ?"], [namespace]
        if ids is not None:
            if not ids:
                return []
            where.append(f"n.note_id IN ({marks(len(ids))})")
            params += list(ids)
        for column, value in (("kind", kind), ("norm", norm), ("speaker", speaker)):
            if value is not None:
                where.append(f"n.{column} = ?")
                params.append(value)
        if not include_archived:
            where.append(
                "n.note_id NOT IN (SELECT record_id FROM strength WHERE namespace = ? "
                "AND record_kind = 'note' AND archived_at IS NOT NULL)"
            )
            params.append(namespace)
        with self._db.errors("list notes"):
            rows = (
                self._db.read()
                .execute(
                    f"{self._select.note} WHERE {' AND '.join(where)} "
                    "ORDER BY n.occurred_at, n.created_at LIMIT ?",
                    (*params, limit),
                )
                .fetchall()
            )
        return [_note(r) for r in rows]

    def recall_rows(
        self, namespace: str, after: int, limit: int, model: str | None = None
    ) -> tuple[int, list[RecallRow]]:
        with self._db.errors("read structure log"):
            conn = self._db.read()
            logged = conn.execute(
                "SELECT log_seq, seq FROM structure_log WHERE namespace = ? AND log_seq > ? "
                "ORDER BY log_seq LIMIT ?",
                (namespace, after, limit),
            ).fetchall()
            if not logged:
                return after, []
            seqs = list(dict.fromkeys(int(r[1]) for r in logged))
            rows: list[RecallRow] = []
            for start in range(0, len(seqs), 500):
                chunk = seqs[start : start + 500]
                holes = marks(len(chunk))
                found = conn.execute(
                    "SELECT s.seq, s.record_kind, s.record_id, "
                    "COALESCE(n.text, f.statement, e.name), COALESCE(n.kind, f.predicate, e.kind), "
                    "CASE WHEN n.key_model = ? THEN n.key_vector "
                    "WHEN f.key_model = ? THEN f.key_vector END "
                    "FROM sources s "
                    "LEFT JOIN notes n ON s.record_kind = 'note' AND n.note_id = s.record_id "
                    "LEFT JOIN facts f ON s.record_kind = 'fact' AND f.fact_id = s.record_id "
                    "LEFT JOIN entities e ON s.record_kind = 'entity' "
                    "AND e.entity_id = s.record_id "
                    f"WHERE s.seq IN ({holes})",
                    (model, model, *chunk),
                ).fetchall()
                by_seq: dict[int, list[RecallRow]] = {}
                for r in found:
                    if r[3] is not None:
                        vector = None if r[5] is None else bytes(r[5])
                        row = RecallRow(int(r[0]), r[1], r[2], r[3], r[4], vector)
                        by_seq.setdefault(row.seq, []).append(row)
                rows.extend(row for seq in chunk for row in by_seq.get(seq, []))
        return int(logged[-1][0]), rows

    def related_notes(self, namespace: str, keywords: Sequence[str], limit: int) -> list[Note]:
        """Notes sharing most keywords, among each keyword's newest notes (bounded cost:
        a common keyword does not drag in every note of a large namespace)."""
        words = list(dict.fromkeys(keywords))
        if not words:
            return []
        per_keyword = " UNION ALL ".join(
            "SELECT * FROM (SELECT note_id, rowid AS r FROM note_keywords WHERE namespace = ? "
            f"AND keyword = ? ORDER BY rowid DESC LIMIT {RELATED_PER_KEYWORD})"
            for _ in words
        )
        params = [value for word in words for value in (namespace, word)]
        with self._db.errors("find related notes"):
            rows = (
                self._db.read()
                .execute(
                    # ties go to the newest note, not to the random order of ids
                    f"{_NOTE_REF} JOIN (SELECT note_id AS hit, count(*) AS shared, "
                    f"max(r) AS newest FROM ({per_keyword}) "
                    "GROUP BY note_id ORDER BY shared DESC, newest DESC LIMIT ?) k "
                    "ON k.hit = n.note_id ORDER BY k.shared DESC, k.newest DESC",
                    (*params, limit),
                )
                .fetchall()
            )
        return [_note(r) for r in rows]

    def history(self, namespace: str, record_kind: str, record_id: str) -> list[HistoryEntry]:
        with self._db.errors("read history"):
            rows = (
                self._db.read()
                .execute(
                    "SELECT history_seq, namespace, record_kind, record_id, action, reason, at, "
                    "episode_ids FROM history WHERE namespace = ? AND record_kind = ? "
                    "AND record_id = ? ORDER BY history_seq",
                    (namespace, record_kind, record_id),
                )
                .fetchall()
            )
        return [
            HistoryEntry(
                int(r[0]),
                str(r[1]),
                str(r[2]),
                str(r[3]),
                str(r[4]),
                str(r[5]),
                from_us(int(r[6])),
                tuple(json.loads(str(r[7]))),
            )
            for r in rows
        ]

    def queued(self, namespace: str, limit: int) -> list[int]:
        """Seqs of live episodes waiting for extraction, oldest first."""
        with self._db.errors("read the extraction queue"):
            rows = (
                self._db.read()
                .execute(
                    # drive from the small queue, not from the namespace index
                    "SELECT q.seq FROM extraction_queue q JOIN episodes e ON e.seq = q.seq "
                    f"WHERE {self._sql.unindexed('e.namespace')} = ? AND e.deleted_at IS NULL "
                    "ORDER BY q.seq LIMIT ?",
                    (namespace, limit),
                )
                .fetchall()
            )
        return [int(r[0]) for r in rows]

    def queued_namespaces(self) -> list[str]:
        with self._db.errors("read the extraction queue"):
            rows = (
                self._db.read()
                .execute(
                    "SELECT DISTINCT namespace FROM episodes WHERE deleted_at IS NULL "
                    "AND seq IN (SELECT seq FROM extraction_queue)"
                )
                .fetchall()
            )
        return [str(r[0]) for r in rows]

    def mentions(self, namespace: str) -> list[tuple[str, str]]:
        """(episode id, entity id) of every mention of a named entity (not a date or a
        quantity) by a live episode. The namespace's entities are read first, then
        their sources by key: joined in one statement, SQLite would walk every
        entity source of the file."""
        rows: list[tuple[object, object]] = []
        with self._db.errors("read mentions"):
            conn = self._db.read()
            ids = [
                str(r[0])
                for r in conn.execute(
                    "SELECT entity_id FROM entities WHERE namespace = ? "
                    "AND kind NOT IN ('date', 'quantity')",
                    (namespace,),
                )
            ]
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                rows.extend(
                    conn.execute(
                        "SELECT e.episode_id, s.record_id FROM sources s "
                        "JOIN episodes e ON e.seq = s.seq WHERE s.record_kind = 'entity' "
                        f"AND s.record_id IN ({marks(len(chunk))}) "
                        "AND e.deleted_at IS NULL",
                        chunk,
                    ).fetchall()
                )
        return [(str(a), str(b)) for a, b in rows]
