"""Background jobs: a durable job table, a runner that resumes what a dead worker
left, and an in-process worker thread that also starts the jobs a namespace's
policy makes due.

A job belongs to the worker that claimed it (``owner``: host, process id and a
token) while that worker keeps its heartbeat fresh. A job whose owner stopped
beating for LEASE_S, or whose process is gone from this host, is claimed again
and resumed from its cursor: consolidation and forgetting are idempotent, so
the work done before the crash is neither lost nor done twice.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from memstrata.model import Job, JSONValue
from memstrata.store.base import JobRow, Store
from memstrata.timeutil import now

log = logging.getLogger("memstrata")
LEASE_S = 60.0
HEARTBEAT_S = 0.5  # progress is written at most this often (and at every phase end)
Progress = Callable[[str, int, int], None]


class JobLost(Exception):
    """The job was taken by another worker (this one was presumed dead)."""


def new_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stale_owners(store: Store, at: datetime, lease_s: float = LEASE_S) -> list[str]:
    """Owners of running jobs that are dead: silent for ``lease_s``, or a process of
    this host that no longer exists."""
    host = socket.gethostname()
    found = []
    for owner, beat in store.jobs.running_owners():
        parts = owner.split(":")
        gone = len(parts) == 3 and parts[0] == host and parts[1].isdigit()
        gone = gone and not _alive(int(parts[1]))
        if gone or beat is None or at - beat > timedelta(seconds=lease_s):
            found.append(owner)
    return found


def public(row: JobRow) -> Job:
    return Job(
        id=row.id,
        namespace=row.namespace,
        kind=row.kind,
        state=row.state,
        phase=row.phase,
        done=row.done,
        total=row.total,
        attempts=row.attempts,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        error=row.error,
        result=row.result,
    )


@dataclass(slots=True)
class Reporter:
    """Heartbeat and progress of one running job; raises JobLost when it was taken."""

    store: Store
    job: JobRow
    owner: str
    listener: Progress | None
    cursor: dict[str, JSONValue] = field(default_factory=dict)
    _last: float = 0.0
    _phase: str = ""

    def __call__(self, phase: str, done: int, total: int, force: bool = False) -> None:
        if self.listener is not None:
            self.listener(phase, done, total)
        moment = time.monotonic()
        if not force and phase == self._phase and moment - self._last < HEARTBEAT_S:
            return
        self._last, self._phase = moment, phase
        if not self.store.jobs.progress(
            self.job.id, self.owner, phase, self.cursor, done, total, now()
        ):
            raise JobLost(self.job.id)


Handler = Callable[[JobRow, Reporter], Mapping[str, JSONValue]]


class Runner:
    """Claims jobs and runs them with the handler of their kind."""

    def __init__(self, store: Store, handlers: Mapping[str, Handler]) -> None:
        self.store = store
        self.handlers = handlers
        self.owner = new_owner()

    def run_next(self, job_id: str | None = None, listener: Progress | None = None) -> Job | None:
        """Run the oldest queued job (or ``job_id``), or one a dead worker left; None
        when there is none."""
        row = self.store.jobs.claim(self.owner, now(), stale_owners(self.store, now()), job_id)
        if row is None:
            return None
        reporter = Reporter(self.store, row, self.owner, listener, dict(row.cursor))
        try:
            result = self.handlers[row.kind](row, reporter)
        except JobLost:
            log.warning("job %s was taken over by another worker", row.id)
        except Exception as exc:  # a job's failure is recorded, the worker goes on
            log.exception("job %s (%s of %s) failed", row.id, row.kind, row.namespace)
            self.store.jobs.finish(row.id, self.owner, "failed", now(), error=repr(exc)[:2000])
        else:
            self.store.jobs.finish(row.id, self.owner, "done", now(), result=dict(result))
        found = self.store.jobs.get(row.id)
        assert found is not None
        return public(found)


class Worker:
    """A daemon thread: embeds and extracts what add() left, starts due policy
    jobs, runs queued ones, then waits (at once again while it keeps finding work)."""

    def __init__(
        self,
        runner: Runner,
        schedule: Callable[[], object],
        poll_s: float,
        extract: Callable[[], int] = lambda: 0,
    ) -> None:
        self.runner = runner
        self.schedule = schedule
        self.poll_s = poll_s
        self.extract = extract  # how much it did (0: nothing was left)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="memstrata-worker", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_s: float = 30.0) -> None:
        self._stop.set()
        self._thread.join(timeout_s)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                emptied = self.extract()
                self.schedule()
                ran = self.runner.run_next()
            except Exception:  # the store was closed under us, or a transient error
                log.exception("the background worker hit an error")
                emptied, ran = 0, None
            if ran is None and not emptied:
                self._stop.wait(self.poll_s)
