"""SqliteStore: the embedded store of record, one SQLite file in WAL mode."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from memstrata.store.sql.dynamics import SqlDynamics
from memstrata.store.sql.episodes import SqlChanges, SqlEpisodes, SqlNamespaces, SqlVectors
from memstrata.store.sql.events import SqlEvents
from memstrata.store.sql.jobs import SqlJobs, SqlKeys, SqlTasks
from memstrata.store.sql.structure import SqlStructure
from memstrata.store.sqlite.connection import Connections, translate_errors
from memstrata.store.sqlite.schema import migrate


class SqliteStore:
    """One SQLite file in WAL mode: the embedded store of record."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._db = Connections(path)
        with translate_errors("migrate"):
            self.schema_version = migrate(self._db.writer)
        self.episodes = SqlEpisodes(self._db)
        self.vectors = SqlVectors(self._db)
        self.changes = SqlChanges(self._db)
        self.namespaces = SqlNamespaces(self._db)
        self.structure = SqlStructure(self._db)
        self.events = SqlEvents(self._db)
        self.dynamics = SqlDynamics(self._db)
        self.jobs = SqlJobs(self._db)
        self.tasks = SqlTasks(self._db)
        self.keys = SqlKeys(self._db)

    def get_meta(self, key: str) -> str | None:
        with translate_errors("read meta"):
            row = self._db.read().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self._db.write("write meta") as conn:
            statement = self._db.dialect.insert("meta", "key, value", conflict="replace")
            conn.execute(statement, (key, value))

    def bytes_on_disk(self) -> int:
        """The database, its WAL and shared memory, and cached side indexes."""
        files = [Path(p) for p in (self.path, self.path + "-wal", self.path + "-shm")]
        side = self._side_dir()
        if side is not None and side.exists():
            files += [p for p in side.rglob("*") if p.is_file()]
        return sum(p.stat().st_size for p in files if p.exists())

    def _side_dir(self) -> Path | None:
        return None if self.path == ":memory:" else Path(self.path + ".side")

    def side_path(self, name: str) -> Path | None:
        side = self._side_dir()
        return None if side is None else side / name

    def remove_side_files(self, names: Sequence[str]) -> None:
        side = self._side_dir()
        if side is None or not side.exists():
            return
        for path in side.rglob("*"):
            relative = path.relative_to(side).as_posix()
            if path.is_file() and any(
                relative.startswith(name) if name.endswith("/") else relative == name
                for name in names
            ):
                path.unlink(missing_ok=True)

    def integrity_ok(self) -> bool:
        with translate_errors("integrity check"):
            conn = self._db.read()
            ok = conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            return ok and not conn.execute("PRAGMA foreign_key_check").fetchall()

    def close(self) -> None:
        self._db.close()
