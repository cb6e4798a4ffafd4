"""Memory's dynamics part: strength and its reinforcement buffer, forgetting,
consolidation, jobs and the background worker, the summary tree and the
profile. Each verb takes the namespace already resolved."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial

import numpy as np

from memstrata import validate
from memstrata.config import Settings
from memstrata.dynamics import forget as forgetting
from memstrata.dynamics.consolidate import PHASES, RUNNERS, Round
from memstrata.dynamics.jobs import Reporter, Runner, Worker, public
from memstrata.dynamics.profile import build_profile
from memstrata.dynamics.strength import reinforce, retention
from memstrata.errors import InvalidInput, NotFound
from memstrata.index import analyzer
from memstrata.index.bm25 import Bm25Index
from memstrata.model import (
    Forgotten,
    Job,
    JSONValue,
    Policy,
    Profile,
    Strength,
    Summary,
    SummaryLevel,
)
from memstrata.providers.embed.base import Embedder, embed_normalised
from memstrata.providers.embed.static import bundled
from memstrata.providers.llm.chat import ChatClient
from memstrata.store.base import JobRow, Store
from memstrata.timeutil import now as utcnow

log = logging.getLogger("memstrata")
RECORD_KINDS = ("note", "summary")
RECALL_BUFFER = 256
RECALL_FLUSH_S = 2.0
MAX_INTERVAL_S = 10 * 366 * 86_400  # a schedule's longest interval: ten years
LEVELS: tuple[SummaryLevel, ...] = ("event", "topic", "profile")
JobProgress = Callable[[str, int, int], None]


def _time(value: datetime | str | None, field: str) -> datetime:
    return utcnow() if value is None else validate.aware_utc(value, field)


def _seconds(value: float | timedelta | None, field: str) -> int | None:
    if value is None:
        return None
    seconds = value.total_seconds() if isinstance(value, timedelta) else value
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise InvalidInput("must be a number of seconds", field=field)
    if not 60 <= seconds <= MAX_INTERVAL_S:  # NaN fails too
        raise InvalidInput(
            f"must be at least 60 seconds and at most {MAX_INTERVAL_S:,}", field=field
        )
    return int(seconds)


# The chat client for a purpose, made once (Memory's): (purpose, setting) -> client.
Chat = Callable[[str, str], ChatClient]


class Dynamics:
    """Strength, forgetting, consolidation, jobs, summaries and the profile of one
    store. ``chat`` gives the LLM client for summaries when one is configured;
    ``work_queued`` is the worker's pass over what add() left (vectors, extraction)."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        embedder: Embedder,
        chat: Chat,
        work_queued: Callable[[], int],
    ) -> None:
        self.store = store
        self.settings = settings
        self.embedder = embedder
        self.chat = chat
        self.work_queued = work_queued
        self._worker: Worker | None = None
        self._runner: Runner | None = None
        self._recalled: list[tuple[str, tuple[str, ...], datetime]] = []
        self._recall_lock = threading.Lock()
        self._flush_lock = threading.Lock()  # one flush at a time: strengths read, then written
        self._flusher: threading.Thread | None = None
        self._recall_flushed = time.monotonic()

    # -- strength ------------------------------------------------------------

    def strength(self, ns: str, record_id: str, record_kind: str) -> Strength:
        return self._state(ns, record_kind, record_id)

    def retention(
        self, ns: str, record_id: str, record_kind: str, at: datetime | str | None
    ) -> float:
        return retention(self._state(ns, record_kind, record_id), _time(at, "at"))

    def pin(self, ns: str, record_id: str, is_pinned: bool, record_kind: str) -> Strength:
        state = replace(self._state(ns, record_kind, record_id), is_pinned=bool(is_pinned))
        action = "pin" if is_pinned else "unpin"
        self.store.dynamics.put_strengths(ns, [state], [(action, "asked")])
        return state

    def unarchive(self, ns: str, record_id: str, record_kind: str) -> Strength:
        state = self._state(ns, record_kind, record_id)
        if not state.is_archived:
            raise InvalidInput(f"{record_kind} {record_id} is not archived", field="record_id")
        self.store.dynamics.unarchive(ns, record_kind, record_id, utcnow())
        return self._state(ns, record_kind, record_id)

    def forget(
        self,
        ns: str,
        threshold: float | None,
        ids: Sequence[str] | None,
        record_kind: str,
        dry_run: bool,
        now: datetime | str | None,
    ) -> list[Forgotten]:
        at = _time(now, "now")
        self.flush_recalls()
        if ids is not None:
            weak = [self._forgotten(ns, record_kind, validate.text(i, "ids", 128)) for i in ids]
        else:
            weak = forgetting.fading(self.store, ns, at, self._threshold(ns, threshold))
        if not dry_run:
            forgetting.archive(self.store, ns, weak, at)
        return [f for f, _ in weak]

    def _forgotten(self, ns: str, record_kind: str, record_id: str) -> tuple[Forgotten, Strength]:
        state = self._state(ns, record_kind, record_id)
        text = self._text(ns, record_kind, record_id)
        found = Forgotten(record_kind, record_id, text, state.layer, 0.0, "asked")
        return found, state

    def _threshold(self, ns: str, threshold: float | None) -> float:
        if threshold is None:
            policy = self.store.dynamics.policy(ns)
            if policy is not None and policy.forget_below is not None:
                return policy.forget_below
            return forgetting.DEFAULT_THRESHOLD
        if isinstance(threshold, bool) or not isinstance(threshold, int | float):
            raise InvalidInput("must be a number from 0 to 1", field="threshold")
        if not 0 <= threshold <= 1:
            raise InvalidInput("must be a number from 0 to 1", field="threshold")
        return float(threshold)

    def _state(self, ns: str, record_kind: str, record_id: str) -> Strength:
        if record_kind not in RECORD_KINDS:
            raise InvalidInput("must be note or summary", field="record_kind")
        key = validate.identifier(record_id, "record_id")
        self.flush_recalls()
        if record_kind == "note":
            notes = self.store.structure.notes(ns, limit=1, ids=[key])
            if notes:
                return forgetting.note_states(self.store, ns, notes)[key]
        else:
            stored = self.store.dynamics.strengths(ns, record_kind, [key]).get(key)
            if stored is not None:
                return stored
        raise NotFound(record_kind, key, ns)

    def _text(self, ns: str, record_kind: str, record_id: str) -> str:
        if record_kind == "note":
            found = self.store.structure.notes(ns, limit=1, ids=[record_id])
            return found[0].text if found else ""
        summaries = self.store.dynamics.summaries(ns, ids=[record_id], include_archived=True)
        return summaries[0].title if summaries else ""

    def reinforce(self, ns: str, episode_ids: Sequence[str], at: datetime) -> None:
        """Recall strengthens the notes resting on what search returned. Recalls are
        buffered and written together (at most RECALL_BUFFER searches or
        RECALL_FLUSH_S apart, and before anything reads strength), so a search
        does not pay for a write transaction."""
        with self._recall_lock:
            self._recalled.append((ns, tuple(episode_ids), at))
            due = len(self._recalled) >= RECALL_BUFFER
            due = due or time.monotonic() - self._recall_flushed >= RECALL_FLUSH_S
        if due:
            self._flush_in_background()

    def _flush_in_background(self) -> None:
        """Write the buffered recalls in a thread, so the search that found them
        due does not wait for the write (one such thread at a time)."""
        with self._recall_lock:
            if self._flusher is not None and self._flusher.is_alive():
                return
            self._recall_flushed = time.monotonic()
            self._flusher = threading.Thread(
                target=self._flush_logged, name="memstrata-recalls", daemon=True
            )
            self._flusher.start()

    def _flush_logged(self) -> None:
        try:
            self.flush_recalls()
        except Exception:  # the store closed under it, or a transient error: recalls lost
            log.exception("writing recalls failed")

    def flush_recalls(self) -> None:
        """Write the buffered recalls now (after a background flush under way)."""
        with self._flush_lock:
            self._write_recalls()

    def _write_recalls(self) -> None:
        with self._recall_lock:
            taken, self._recalled = self._recalled, []
            self._recall_flushed = time.monotonic()
        by_namespace: dict[str, list[tuple[list[str], datetime]]] = {}
        for ns, episode_ids, at in taken:
            note_ids = self.store.dynamics.note_ids_of(ns, episode_ids)
            if note_ids:
                by_namespace.setdefault(ns, []).append((note_ids, at))
        for ns, recalls in by_namespace.items():
            wanted = list(dict.fromkeys(i for ids, _ in recalls for i in ids))
            stored = self.store.dynamics.strengths(ns, "note", wanted)
            missing = [i for i in wanted if i not in stored]  # never strengthened yet
            notes = self.store.structure.notes(ns, limit=len(missing), ids=missing)
            states = {**stored, **forgetting.note_states(self.store, ns, notes, stored)}
            touched: set[str] = set()
            for ids, at in recalls:  # in order: a note recalled twice grows twice
                for note_id in ids:
                    state = states.get(note_id)
                    if state is not None and not state.is_archived:
                        states[note_id] = reinforce(state, at)
                        touched.add(note_id)
            if touched:
                self.store.dynamics.put_strengths(ns, [states[i] for i in sorted(touched)])

    # -- consolidation and jobs ----------------------------------------------

    def consolidate(
        self,
        ns: str,
        now: datetime | str | None,
        background: bool,
        progress: JobProgress | None,
    ) -> Job:
        at = _time(now, "now")
        row = self.store.jobs.enqueue(
            _job_id(), ns, "consolidate", {"at": at.isoformat()}, utcnow()
        )
        if background:
            return public(row)
        return self._run(row.id, progress)

    def jobs(self, ns: str | None, limit: int) -> list[Job]:
        return [public(r) for r in self.store.jobs.list(ns, validate.limit(limit, 1000))]

    def run_jobs(self, progress: JobProgress | None) -> list[Job]:
        ran = []
        while (job := self._job_runner().run_next(listener=progress)) is not None:
            ran.append(job)
        return ran

    def _run(self, job_id: str, progress: JobProgress | None) -> Job:
        job = self._job_runner().run_next(job_id, progress)
        if job is None:  # another worker holds it: report where it stands
            row = self.store.jobs.get(job_id)
            assert row is not None
            return public(row)
        return job

    def _job_runner(self) -> Runner:
        if self._runner is None:
            self._runner = Runner(
                self.store, {"consolidate": self._consolidate_job, "forget": self._forget_job}
            )
        return self._runner

    def _consolidate_job(self, job: JobRow, report: Reporter) -> Mapping[str, JSONValue]:
        self.flush_recalls()
        at = validate.aware_utc(job.params.get("at") or utcnow().isoformat(), "at")
        llm = None
        if self.settings.llm_url and self.settings.llm_model:
            llm = self.chat("LLM summaries", "llm_url")
        sentences = partial(embed_normalised, bundled())  # fast and local, whatever the embedder
        work = Round(self.store, job.namespace, at, sentences, self.embedder.name, llm)
        done = [str(p) for p in _list(report.cursor.get("done"))]
        result = dict(_dict(report.cursor.get("result")))
        for phase in PHASES:
            if phase in done:
                continue
            report(phase, 0, 0, force=True)
            counts = RUNNERS[phase](work, _phase_progress(report, phase))
            done.append(phase)
            result.update(counts)
            report.cursor = {"done": list(done), "result": result}
            report(phase, 1, 1, force=True)
        return result

    def _forget_job(self, job: JobRow, report: Reporter) -> Mapping[str, JSONValue]:
        threshold = job.params.get("threshold")
        at = validate.aware_utc(job.params.get("at") or utcnow().isoformat(), "at")
        limit = float(threshold) if isinstance(threshold, int | float) else None
        gone = self.forget(job.namespace, limit, None, "note", False, at)
        report("forget", 1, 1, force=True)
        return {"archived": len(gone)}

    def set_policy(
        self,
        ns: str,
        forget_below: float | None,
        forget_every: float | timedelta | None,
        consolidate_every: float | timedelta | None,
    ) -> Policy:
        old = self.store.dynamics.policy(ns) or Policy(ns)
        policy = replace(
            old,
            forget_below=None if forget_below is None else self._threshold(ns, forget_below),
            forget_every_s=_seconds(forget_every, "forget_every"),
            consolidate_every_s=_seconds(consolidate_every, "consolidate_every"),
        )
        self.store.dynamics.set_policy(policy)
        return policy

    def policy(self, ns: str) -> Policy:
        return self.store.dynamics.policy(ns) or Policy(ns)

    def schedule_due(self, at: datetime | None) -> list[Job]:
        moment = at or utcnow()
        queued = []
        for stored in self.store.dynamics.policies():
            policy = stored
            if _due(policy.last_forget_at, policy.forget_every_s, moment):
                params: dict[str, JSONValue] = {"at": moment.isoformat()}
                if policy.forget_below is not None:
                    params["threshold"] = policy.forget_below
                queued.append(
                    self.store.jobs.enqueue(_job_id(), policy.namespace, "forget", params, moment)
                )
                policy = replace(policy, last_forget_at=moment)
            if _due(policy.last_consolidate_at, policy.consolidate_every_s, moment):
                params = {"at": moment.isoformat()}
                queued.append(
                    self.store.jobs.enqueue(
                        _job_id(), policy.namespace, "consolidate", params, moment
                    )
                )
                policy = replace(policy, last_consolidate_at=moment)
            if policy != stored:
                self.store.dynamics.set_policy(policy)
        return [public(r) for r in queued]

    def start_worker(self, poll_s: float) -> None:
        if self._worker is None:
            due = partial(self.schedule_due, None)
            self._worker = Worker(self._job_runner(), due, poll_s, self.work_queued)
            self._worker.start()

    def stop_worker(self) -> None:
        if self._worker is not None:
            self._worker.stop()
            self._worker = None

    # -- the summary tree and the profile ------------------------------------

    def summaries(
        self,
        ns: str,
        query: str | None,
        level: SummaryLevel | None,
        limit: int,
        include_archived: bool,
    ) -> list[Summary]:
        if level is not None and level not in LEVELS:
            raise InvalidInput(f"must be one of {LEVELS}", field="level")
        count = validate.limit(limit, self.settings.max_limit)
        found = self.store.dynamics.summaries(ns, level=level, include_archived=include_archived)
        if query is None:
            return found[:count]
        terms = analyzer.terms(validate.text(query, "query", self.settings.max_query_chars))
        index = Bm25Index(self.settings.bm25_k1, self.settings.bm25_b)
        for position, summary in enumerate(found):
            index.add(position, analyzer.terms(f"{summary.title}\n{summary.text}"))
        if not found or not terms:
            return []
        positions, _ = index.search(terms, count, np.ones(len(found), dtype=np.bool_))
        return [found[int(p)] for p in positions]

    def episodes_under(self, ns: str, summary_id: str) -> list[str]:
        """Episode ids under a summary, down the tree."""
        found = self.store.dynamics.summaries(ns, ids=[summary_id], include_archived=True)
        if not found:
            raise NotFound("summary", summary_id, ns)
        summary = found[0]
        if summary.child_kind == "episode":
            return list(summary.children)
        if summary.child_kind == "summary":
            return [e for child in summary.children for e in self.episodes_under(ns, child)]
        return [
            e for line in build_profile(self.store, ns, utcnow()).lines for e in line.episode_ids
        ]

    def profile(self, ns: str, as_of: datetime | str | None) -> Profile:
        return build_profile(self.store, ns, _time(as_of, "as_of"))


def _phase_progress(report: Reporter, phase: str) -> Callable[[int, int], None]:
    def progress(done: int, total: int) -> None:
        report(phase, done, total)

    return progress


def _due(last: datetime | None, every_s: int | None, at: datetime) -> bool:
    return every_s is not None and (last is None or (at - last).total_seconds() >= every_s)


def _job_id() -> str:
    return uuid.uuid4().hex


def _list(value: JSONValue | None) -> list[JSONValue]:
    return value if isinstance(value, list) else []


def _dict(value: JSONValue | None) -> dict[str, JSONValue]:
    return value if isinstance(value, dict) else {}
