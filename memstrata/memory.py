"""Memory and AsyncMemory: the engine's one public entry point.

``Memory`` wires a Store, an embedder and the in-memory indexes. Writes go to
the store of record in one durable transaction; indexes catch up from the
store's change log before every read, so what add() acknowledged is what
search() sees, in this process and in any other sharing the file.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal, TextIO

import numpy as np

from memstrata import validate
from memstrata.bulk import Shard
from memstrata.config import MAX_ROUNDS, Settings
from memstrata.errors import (
    BadProviderOutput,
    EmbedderMismatch,
    InvalidInput,
    NotFound,
)
from memstrata.events.service import segment_dirty
from memstrata.extract.base import Extractor
from memstrata.index.namespace_index import NamespaceIndex
from memstrata.messages import MessageLike, to_episodes
from memstrata.model import (
    Added,
    Answer,
    Context,
    Entity,
    Episode,
    Event,
    Fact,
    Filters,
    Forgotten,
    HistoryEntry,
    Hit,
    ImportReport,
    Job,
    Metadata,
    Note,
    Policy,
    Profile,
    StoreStats,
    Strength,
    Summary,
    SummaryLevel,
    Task,
)
from memstrata.parts.dynamics import Dynamics, JobProgress
from memstrata.parts.recall import Recall
from memstrata.parts.structure import Structure
from memstrata.parts.working import WorkingMemory
from memstrata.parts.writing import Writer, embed
from memstrata.providers.embed.base import Embedder
from memstrata.providers.llm.base import parses
from memstrata.providers.llm.chat import ChatClient, TokenUsage
from memstrata.providers.registry import create_embedder, embedder_for, resolve_embedder
from memstrata.retrieve.block import frame
from memstrata.retrieve.context import CONTEXT_HITS, assemble
from memstrata.retrieve.engine import filters_of, make_ask
from memstrata.retrieve.ranker import Ranker
from memstrata.retrieve.reader import ReaderAnswer, parse_answer, reader_prompt
from memstrata.retrieve.recall import (
    Pool,
)
from memstrata.retrieve.tokens import counter
from memstrata.store import open_store
from memstrata.timeutil import now
from memstrata.timing import StageTimings
from memstrata.transfer import read_jsonl, write_jsonl

log = logging.getLogger("memstrata")
_utcnow = now  # search() has a parameter called now
MAX_TOKEN_BUDGET = 200_000


class Memory:
    """A long-term memory over one store.

    >>> with Memory("memory.db") as memory:                       # doctest: +SKIP
    ...     memory.add("I moved to Lyon", speaker="Ana")
    ...     hits = memory.search("where does Ana live?")
    """

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        namespace: str | None = None,
        embedder: str | Embedder | None = None,
        on_model_change: Literal["error", "reembed"] | None = None,
        settings: Settings | None = None,
    ) -> None:
        base = settings or Settings.load()
        overrides = {
            "path": None if path is None else str(path),
            "namespace": namespace,
            "embedder": embedder if isinstance(embedder, str) else None,
            "on_model_change": on_model_change,
        }
        self.settings = base.model_copy(update={k: v for k, v in overrides.items() if v})
        validate.namespace(self.settings.namespace)
        self.store = open_store(self.settings.path)
        self.timings = StageTimings()
        self.last_search_ms: dict[str, float] = {}  # read-path stages of the last search
        self._chat_client: ChatClient | None = None
        try:
            stored = self.store.get_meta("embedder")  # the model of the store's vectors
            self.embedder = (
                embedder
                if isinstance(embedder, Embedder) and not isinstance(embedder, str)
                else create_embedder(
                    resolve_embedder(self.settings.embedder, stored), self.settings
                )
            )
            self._writer = Writer(
                self.store, self.settings, self.embedder, self.timings, self._chat
            )
            self._structure = Structure(self.store, self.settings, self.embedder, self.timings)
            self._dynamics = Dynamics(
                self.store, self.settings, self.embedder, self._chat, self._work_queued
            )
            self._working = WorkingMemory(self.store, self.settings, self._record_step)
            self._recall = Recall(
                self.store, self.settings, self.embedder, self._embed, self._embed_questions
            )
            self._check_model(stored)  # last: it may re-embed the store through them
        except BaseException:
            self.store.close()
            raise
        if self.settings.worker:
            self.start_worker()

    # -- writing -------------------------------------------------------------

    @property
    def extractor(self) -> Extractor | None:
        """What add() extracts structure with (None: extraction is off)."""
        return self._writer.extractor

    @extractor.setter
    def extractor(self, extractor: Extractor | None) -> None:
        self._writer.extractor = extractor

    def add(
        self,
        content: str | Sequence[MessageLike],
        *,
        namespace: str | None = None,
        session_id: str | None = None,
        speaker: str | None = None,
        role: str | None = None,
        occurred_at: datetime | str | None = None,
        metadata: Metadata | None = None,
    ) -> Added:
        """Store a text, or a list of messages (texts, Message or dicts), as episodes.

        Returns the stored episodes in order (a list; its ``extraction_failed``
        names those whose extraction failed: they stay queued and are counted in
        ``stats()``).

        Keyword values are defaults for messages that do not set their own.
        Durable when it returns, and searchable by words and vectors (vectors
        later, by the worker or flush(), when MEMSTRATA_EMBED_ON_ADD is false);
        notes, entities and facts are extracted before it returns, or later
        when MEMSTRATA_EXTRACT_ON_ADD is false. Raises InvalidInput (nothing is
        stored then).
        """
        ns = self._namespace(namespace)
        episodes = to_episodes(
            ns,
            content,
            now(),
            self.settings,
            session_id=session_id,
            speaker=speaker,
            role=role,
            occurred_at=occurred_at,
            metadata=metadata,
        )
        return self._writer.add(ns, episodes)

    @contextmanager
    def bulk(self, processes: int | None = None) -> Iterator[None]:
        """Load many messages on every core. While it runs, this Memory's add()
        and import_() store episodes searchable by their words, and
        ``processes`` worker processes (default: one per core) embed and
        extract them, each worker owning a share of the namespaces. Leaving
        waits until every episode has its vector and is structured, as after
        add(); leaving on an error stops the workers at once, and what they
        had not done stays queued for the next flush() or worker."""
        workers = self._writer.bulk_begin(processes)
        try:
            yield
        except BaseException:
            self._writer.bulk_end(workers, failed=True)
            raise
        self._writer.bulk_end(workers, failed=False)

    def delete(self, episode_id: str, *, namespace: str | None = None) -> Episode:
        """Soft-delete an episode (hidden from search, recoverable with restore)."""
        return self.store.episodes.set_deleted(self._namespace(namespace), episode_id, now())

    def restore(self, episode_id: str, *, namespace: str | None = None) -> Episode:
        """Undo a soft delete."""
        return self.store.episodes.set_deleted(self._namespace(namespace), episode_id, None)

    def purge(
        self,
        episode_ids: str | Sequence[str] | None = None,
        *,
        namespace: str | None = None,
        everything: bool = False,
    ) -> int:
        """Hard-delete episodes (rows, terms, vectors); ``everything`` empties the namespace.

        Returns how many episodes were removed. This cannot be undone.
        """
        ns = self._namespace(namespace)
        if everything:
            if episode_ids is not None:
                raise InvalidInput("give episode ids or everything=True, not both", field="purge")
            self._recall.drop(ns)  # a graph still building there is discarded
            self._writer.forget_names(ns)
            count = self.store.episodes.purge_namespace(ns)
            self._remove_derived_files(ns)
            return count
        if episode_ids is None:
            raise InvalidInput("give episode ids, or everything=True", field="purge")
        raw = [episode_ids] if isinstance(episode_ids, str) else list(episode_ids)
        ids = [validate.identifier(i, f"episode_ids[{n}]") for n, i in enumerate(raw)]
        count = self.store.episodes.purge(ns, ids)
        self._remove_derived_files(ns)
        return count

    def _remove_derived_files(self, ns: str) -> None:
        """Side files that may hold purged text or what was derived from it: the
        namespace's index snapshot and graph (rebuilt from the store when needed)
        and the LLM answer cache (shared by namespaces, so all of it: a cache
        miss only costs asking again)."""
        self.store.remove_side_files(
            [f"ann/{ns}.usearch", f"ann/{ns}.json", f"index/{ns}.npz", "llm-cache/"]
        )

    # -- reading -------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        namespace: str | None = None,
        limit: int = 10,
        filters: Filters | None = None,
        session_id: str | None = None,
        speaker: str | None = None,
        since: datetime | str | None = None,
        until: datetime | str | None = None,
        metadata: Metadata | None = None,
        retrievers: Sequence[str] | None = None,
        now: datetime | str | None = None,
        rounds: int | None = None,
        within: str | None = None,
        reinforce: bool | None = None,
    ) -> list[Hit]:
        """The episodes that best answer ``query``, best first.

        ``filters`` (a Filters record), or its fields one by one as keywords:
        session, speaker, ``since <= occurred_at < until``, metadata equality.
        ``retrievers`` picks among RETRIEVERS (default all). ``now`` is the
        moment the question is asked (default: the present): "last May" and
        "two weeks ago" in the query are resolved against it.
        ``rounds``: how many times a weak first pass may be retried with the
        entities its best hits mention (default MEMSTRATA_RECALL_ROUNDS).
        ``within``: only the episodes under this summary (coarse-to-fine recall
        down the summary tree). ``reinforce``: strengthen the notes resting on
        the hits (default MEMSTRATA_REINFORCE).
        """
        ns = self._namespace(namespace)
        count = validate.limit(limit, self.settings.max_limit)
        if rounds is not None:
            validate.count(rounds, 0, MAX_ROUNDS, "rounds")
        chosen = filters_of(
            filters,
            session_id=session_id,
            speaker=speaker,
            since=since,
            until=until,
            metadata=metadata,
        )
        under = None if within is None else self._under(ns, within)
        ask = make_ask(self.store, self.settings, ns, query, count, chosen, retrievers, now, under)
        ranked = self._recall.ranked(ns, ask, rounds)
        if ranked is None:
            return []
        hits = self._recall.hits(ns, ranked, count)
        self.last_search_ms = {k: 1000 * v for k, v in ranked.stages.seconds().items()}
        if hits and (self.settings.reinforce if reinforce is None else reinforce):
            self._dynamics.reinforce(ns, [i for h in hits for i in h.episode_ids], _utcnow())
        return hits

    def _under(self, ns: str, within: str) -> set[int]:
        """The episodes under the summary ``within``, down the tree."""
        key = validate.identifier(within, "within")
        return self.store.episodes.seqs_of(ns, self._dynamics.episodes_under(ns, key))

    def context(
        self,
        query: str,
        *,
        token_budget: int = 1000,
        namespace: str | None = None,
        now: datetime | str | None = None,
        filters: Filters | None = None,
        session_id: str | None = None,
        speaker: str | None = None,
        since: datetime | str | None = None,
        until: datetime | str | None = None,
        metadata: Metadata | None = None,
        tokenizer: str | None = None,
    ) -> Context:
        """What memory holds about ``query``, as a fenced, dated, prompt-ready block
        of at most ``token_budget`` tokens as ``tokenizer`` counts them (the
        setting of that name by default): facts about the entities it names,
        then the best hits with the turns around them, grouped by session and
        event. Each line carries a short label that ``refs`` maps to its
        episode or fact id. ``filters`` (or its fields as keywords) as search's."""
        ns = self._namespace(namespace)
        budget = validate.limit(token_budget, MAX_TOKEN_BUDGET, "token_budget")
        asked_at = _utcnow() if now is None else validate.aware_utc(now, "now")
        tokens = counter(tokenizer or self.settings.tokenizer)
        empty = frame(query, asked_at, tokens, budget)  # refuses a budget too small, first
        chosen = filters_of(
            filters,
            session_id=session_id,
            speaker=speaker,
            since=since,
            until=until,
            metadata=metadata,
        )
        ask = make_ask(self.store, self.settings, ns, query, CONTEXT_HITS, chosen, now=asked_at)
        ranked = self._recall.ranked(ns, ask, None)
        if ranked is None:
            return empty.context(budget)
        segment_dirty(self.store, ns, self.embedder.name, self.timings)  # deferred by add()
        return assemble(
            self.store,
            ns,
            ranked.index,
            ranked.question,
            ranked.ranking,
            ranked.mask,
            budget,
            tokens,
        )

    def answer(
        self,
        query: str,
        *,
        token_budget: int = 2000,
        namespace: str | None = None,
        now: datetime | str | None = None,
    ) -> Answer:
        """Answer ``query`` from memory with the configured LLM reader: context()
        within ``token_budget``, then one call that writes notes on the recalled
        lines and answers from them ("I don't know" when they do not say)."""
        asked_at = _utcnow() if now is None else validate.aware_utc(now, "now")
        recalled = self.context(query, token_budget=token_budget, namespace=namespace, now=asked_at)
        client = self._chat("answer()", "llm_url")
        messages, schema = reader_prompt(query, recalled.text, asked_at)
        completion = client.complete(messages, schema, parses(ReaderAnswer))
        try:
            parsed = parse_answer(completion.text)
        except BadProviderOutput:
            log.warning("the reader answered %r", completion.text[:2000])
            raise
        return Answer(
            parsed.answer,
            tuple(parsed.notes),
            recalled,
            client.name,
            completion.prompt_tokens,
            completion.completion_tokens,
        )

    def _chat(self, purpose: str, field: str) -> ChatClient:
        """The chat client for the reader and the LLM extractor, made once."""
        if self._chat_client is None:
            if not self.settings.llm_url or not self.settings.llm_model:
                raise InvalidInput(
                    f"{purpose} needs llm_url and llm_model "
                    "(MEMSTRATA_LLM_URL, MEMSTRATA_LLM_MODEL)",
                    field=field,
                )
            self._chat_client = ChatClient(self.settings, self.store.side_path("llm-cache"))
        return self._chat_client

    @property
    def ranker(self) -> Ranker:
        """The model that orders recall candidates (MEMSTRATA_RANKER, or the one shipped
        for this embedder)."""
        return self._recall.ranker

    def candidates(
        self,
        query: str,
        *,
        namespace: str | None = None,
        speaker: str | None = None,
        now: datetime | str | None = None,
    ) -> Pool:
        """Every episode the retrievers found for ``query`` with the features the
        ranker scores them by, unranked: what search() orders (``speaker``: of
        that speaker's turns only). For inspecting a ranking and fitting one."""
        ns = self._namespace(namespace)
        ask = make_ask(self.store, self.settings, ns, query, 1, Filters(speaker=speaker), now=now)
        return self._recall.pool(ns, ask)

    def index(self, namespace: str | None = None) -> NamespaceIndex | None:
        """The namespace's in-process index, caught up with the store (None for a
        namespace that holds nothing): for inspection and benchmarks."""
        return self._recall.index(self._namespace(namespace))

    def get(self, episode_id: str, *, namespace: str | None = None) -> Episode:
        """One episode by id (deleted ones too); NotFound otherwise."""
        ns = self._namespace(namespace)
        key = validate.identifier(episode_id, "episode_id")
        found = self.store.episodes.get(ns, [key])
        if not found:
            raise NotFound("episode", key, ns)
        return found[0]

    def namespaces(self) -> list[str]:
        return self.store.namespaces.names()

    def stats(self, namespace: str | None = None) -> StoreStats:
        """Counts per namespace (all, or the one named), size on disk, embedder."""
        names = self.namespaces() if namespace is None else [self._namespace(namespace)]
        per = [self.store.namespaces.stats(n, self.embedder.name) for n in names]
        per = [
            s if s is None else replace(s, extraction_failed=self._writer.failed(n))
            for n, s in zip(names, per, strict=True)
        ]
        return StoreStats(
            path=self.store.path,
            schema_version=self.store.schema_version,
            embedder=self.store.get_meta("embedder"),
            bytes_on_disk=self.store.bytes_on_disk(),
            namespaces=tuple(s for s in per if s is not None),
        )

    def llm_usage(self) -> TokenUsage:
        """What the LLM endpoint has cost this Memory so far (extraction, entity
        matching, summaries and answer() together): calls made, answers served
        from the on-disk cache, prompt and completion tokens. All zero when no
        LLM is configured or none was called."""
        client = self._chat_client
        return TokenUsage() if client is None else replace(client.usage)

    # -- the structured layers -------------------------------------------------

    def entities(self, *, namespace: str | None = None, kind: str | None = None) -> list[Entity]:
        """Entities of the namespace, of one kind (ENTITY_KINDS) when ``kind`` is given."""
        return self._structure.entities(self._namespace(namespace), kind)

    def facts(
        self,
        subject: str | None = None,
        predicate: str | None = None,
        *,
        as_of: datetime | str | None = None,
        known_at: datetime | str | None = None,
        namespace: str | None = None,
    ) -> list[Fact]:
        """Facts, oldest first, closed and expired ones included unless filtered.

        ``as_of``: only facts true in the world at that time (as believed now).
        ``known_at``: only facts memstrata held at that time (transaction time).
        ``subject`` is a name or alias.
        """
        ns = self._namespace(namespace)
        return self._structure.facts(ns, subject, predicate, as_of, known_at)

    def timeline(self, entity: str, *, namespace: str | None = None) -> list[Fact]:
        """Every fact about an entity (as subject or object), in event-time order."""
        return self._structure.timeline(self._namespace(namespace), entity)

    def neighbors(
        self,
        entity: str,
        *,
        depth: int = 1,
        as_of: datetime | str | None = None,
        namespace: str | None = None,
    ) -> list[Fact]:
        """Facts linking the entity to others, out to ``depth`` hops (valid now by default)."""
        return self._structure.neighbors(self._namespace(namespace), entity, depth, as_of)

    def notes(
        self,
        *,
        kind: str | None = None,
        speaker: str | None = None,
        limit: int = 100,
        include_archived: bool = False,
        namespace: str | None = None,
    ) -> list[Note]:
        """Distilled notes, oldest first (archived ones only with ``include_archived``);
        ``kind`` is one of NOTE_KINDS."""
        ns = self._namespace(namespace)
        return self._structure.notes(ns, kind, speaker, limit, include_archived)

    def events(self, *, session_id: str | None = None, namespace: str | None = None) -> list[Event]:
        """Events (runs of episodes that belong together), in time order."""
        return self._structure.events(self._namespace(namespace), session_id)

    def history(
        self, record_kind: str, record_id: str, *, namespace: str | None = None
    ) -> list[HistoryEntry]:
        """Every change to an entity, fact, note or summary, with the reason and episodes."""
        return self._structure.history(self._namespace(namespace), record_kind, record_id)

    # -- strength, forgetting and consolidation ------------------------------------

    def strength(
        self, record_id: str, *, record_kind: str = "note", namespace: str | None = None
    ) -> Strength:
        """How firmly a note or summary is held (layer, importance, S, recalls ...)."""
        return self._dynamics.strength(self._namespace(namespace), record_id, record_kind)

    def retention(
        self,
        record_id: str,
        *,
        record_kind: str = "note",
        at: datetime | str | None = None,
        namespace: str | None = None,
    ) -> float:
        """exp(−Δt / S) of a note or summary at ``at`` (default now), 0..1."""
        ns = self._namespace(namespace)
        return self._dynamics.retention(ns, record_id, record_kind, at)

    def pin(
        self,
        record_id: str,
        *,
        is_pinned: bool = True,
        record_kind: str = "note",
        namespace: str | None = None,
    ) -> Strength:
        """Pin (or unpin) a note or summary: a pinned one never fades below the floor."""
        ns = self._namespace(namespace)
        return self._dynamics.pin(ns, record_id, is_pinned, record_kind)

    def unarchive(
        self, record_id: str, *, record_kind: str = "note", namespace: str | None = None
    ) -> Strength:
        """Bring back an archived note or summary; its strength restarts now."""
        return self._dynamics.unarchive(self._namespace(namespace), record_id, record_kind)

    def forget(
        self,
        *,
        namespace: str | None = None,
        threshold: float | None = None,
        ids: Sequence[str] | None = None,
        record_kind: str = "note",
        dry_run: bool = False,
        now: datetime | str | None = None,
    ) -> list[Forgotten]:
        """Archive the notes and summaries whose retention at ``now`` fell below
        ``threshold`` (default the namespace policy's, else 0.05), or exactly the
        ``ids`` given (of ``record_kind``). ``dry_run`` only lists them, with why.

        Episodes, facts and entities are never touched (``purge`` is the only hard
        delete); archived records come back with ``unarchive``."""
        ns = self._namespace(namespace)
        return self._dynamics.forget(ns, threshold, ids, record_kind, dry_run, now)

    def consolidate(
        self,
        *,
        namespace: str | None = None,
        now: datetime | str | None = None,
        background: bool = False,
        progress: JobProgress | None = None,
    ) -> Job:
        """One consolidation round (merge near-duplicate notes, promote, event and
        topic summaries, the profile) as a durable job. ``background`` queues it for
        the worker and returns at once; otherwise it runs here and returns finished.
        ``progress`` is called with (phase, done, total)."""
        ns = self._namespace(namespace)
        return self._dynamics.consolidate(ns, now, background, progress)

    def jobs(self, *, namespace: str | None = None, limit: int = 20) -> list[Job]:
        """Jobs, newest first (of one namespace, or all)."""
        ns = None if namespace is None else self._namespace(namespace)
        return self._dynamics.jobs(ns, limit)

    def run_jobs(self, *, progress: JobProgress | None = None) -> list[Job]:
        """Run every queued job, and resume those a dead worker left running."""
        return self._dynamics.run_jobs(progress)

    def set_policy(
        self,
        *,
        namespace: str | None = None,
        forget_below: float | None = None,
        forget_every: float | timedelta | None = None,
        consolidate_every: float | timedelta | None = None,
    ) -> Policy:
        """When the namespace forgets (below which retention, how often) and
        consolidates on its own, run by the background worker. None turns a
        schedule off. Intervals are seconds or timedeltas, at least a minute."""
        ns = self._namespace(namespace)
        return self._dynamics.set_policy(ns, forget_below, forget_every, consolidate_every)

    def policy(self, *, namespace: str | None = None) -> Policy:
        """The namespace's forgetting and consolidation schedule."""
        return self._dynamics.policy(self._namespace(namespace))

    def schedule_due(self, at: datetime | None = None) -> list[Job]:
        """Queue the forgetting and consolidation jobs policies make due at ``at``."""
        return self._dynamics.schedule_due(at)

    def start_worker(self, *, poll_s: float = 1.0) -> None:
        """Run background work in a thread until close(): the vectors and the
        extraction add() left (MEMSTRATA_EMBED_ON_ADD / MEMSTRATA_EXTRACT_ON_ADD
        false), policies' schedules and jobs."""
        self._dynamics.start_worker(poll_s)

    def stop_worker(self) -> None:
        """Stop the background worker (if one runs), after its current pass."""
        self._dynamics.stop_worker()

    # -- the summary tree and the profile ------------------------------------------

    def summaries(
        self,
        query: str | None = None,
        *,
        level: SummaryLevel | None = None,
        limit: int = 20,
        include_archived: bool = False,
        namespace: str | None = None,
    ) -> list[Summary]:
        """Summaries of the tree (events, topics, the profile), in time order, or
        the best ``limit`` for ``query`` (BM25 over title and text). Go down with
        ``search(query, within=summary.id)``."""
        ns = self._namespace(namespace)
        return self._dynamics.summaries(ns, query, level, limit, include_archived)

    def profile(
        self, *, namespace: str | None = None, as_of: datetime | str | None = None
    ) -> Profile:
        """The namespace's portrait at ``as_of`` (default now): current facts (with
        what they replaced) and preferences, each with its episodes."""
        return self._dynamics.profile(self._namespace(namespace), as_of)

    # -- working memory ----------------------------------------------------------

    def open_task(self, title: str, *, namespace: str | None = None) -> Task:
        """Start a task; its steps, subgoals and summary notes stay in the namespace."""
        return self._working.open_task(self._namespace(namespace), title)

    def open_subgoal(self, task_id: str, title: str, *, namespace: str | None = None) -> Task:
        """Start a subgoal of an open task; one still active is closed first."""
        return self._working.open_subgoal(self._namespace(namespace), task_id, title)

    def step(
        self, task_id: str, content: str, *, kind: str = "action", namespace: str | None = None
    ) -> Episode:
        """Record an action, observation or thought under the active subgoal (an episode
        of the task's session, kept and searchable like any other)."""
        return self._working.step(self._namespace(namespace), task_id, content, kind)

    def close_subgoal(
        self, task_id: str, *, summary: str | None = None, namespace: str | None = None
    ) -> Note:
        """Close the active subgoal into one summary note (``summary``, or one distilled
        from its steps), sourced from its steps; it enters short-term memory."""
        return self._working.close_subgoal(self._namespace(namespace), task_id, summary)

    def close_task(
        self, task_id: str, *, summary: str | None = None, namespace: str | None = None
    ) -> Note:
        """Close the task (and its active subgoal) into a summary note of what was done."""
        return self._working.close_task(self._namespace(namespace), task_id, summary)

    def task(self, task_id: str, *, namespace: str | None = None) -> Task:
        """One task, its subgoals and how many steps each has."""
        return self._working.task(self._namespace(namespace), task_id)

    def tasks(
        self, *, open_only: bool = True, limit: int = 20, namespace: str | None = None
    ) -> list[Task]:
        """Tasks, newest first (only open ones by default)."""
        return self._working.tasks(self._namespace(namespace), open_only, limit)

    def working_context(
        self, task_id: str, *, token_budget: int = 1000, namespace: str | None = None
    ) -> str:
        """The task as an agent should see it now, within ``token_budget`` tokens: one
        line per closed subgoal, the active subgoal's steps in full (newest kept)."""
        return self._working.working_context(self._namespace(namespace), task_id, token_budget)

    def _record_step(self, ns: str, content: str, session_id: str, metadata: Metadata) -> Episode:
        """A task's step or closing summary, stored as an episode of its session."""
        return self.add(content, namespace=ns, session_id=session_id, metadata=metadata)[0]

    # -- moving data ---------------------------------------------------------

    def export(
        self, out: TextIO, *, namespace: str | None = None, include_deleted: bool = True
    ) -> int:
        """Write episodes as JSONL (one namespace, or all); return how many."""
        names = self.namespaces() if namespace is None else [self._namespace(namespace)]
        return sum(write_jsonl(self.store.episodes.iterate(n, include_deleted), out) for n in names)

    def import_(
        self,
        source: Iterable[str],
        *,
        batch: int = 1000,
        progress: Callable[[int, int], None] | None = None,
        namespace: str | None = None,
    ) -> ImportReport:
        """Read JSONL written by export; ids already present are skipped (idempotent),
        an id present with other content raises Conflict.

        The whole file is validated before anything is written. ``progress``
        is called with (episodes done, total) after each batch. ``namespace``
        puts every episode there instead of in the namespace it was exported
        from.
        """
        episodes = list(read_jsonl(source, self.settings.max_content_chars))
        if namespace is not None:
            target = self._namespace(namespace)
            episodes = [replace(e, namespace=target) for e in episodes]
        added = skipped = 0
        for start in range(0, len(episodes), batch):
            added_now, skipped_now = self._writer.import_batch(episodes[start : start + batch])
            added += added_now
            skipped += skipped_now
            if progress is not None:
                progress(min(start + batch, len(episodes)), len(episodes))
        return ImportReport(added=added, skipped=skipped)

    # -- maintenance ---------------------------------------------------------

    def flush(self) -> int:
        """Embed every episode still missing a vector, extract every episode still
        queued for extraction, and bring every namespace's indexes up to date,
        waiting for HNSW graphs being built.

        Returns how many vectors were made. Raises ProviderError if the
        embedder still fails.
        """
        made, _ = self._writer.fill_vectors()
        self._writer.extract_queued()
        for ns in self.store.events.dirty_namespaces():
            segment_dirty(self.store, ns, self.embedder.name, self.timings)
        self._recall.wait_for_graphs(self.namespaces())
        return made

    def reembed(self) -> int:
        """Replace every vector with one from the current embedder."""
        self.store.vectors.drop_all()
        self.store.set_meta("embedder", self.embedder.name)
        self._recall.drop_all()
        self.store.remove_side_files(["ann/", "index/"])
        return self.flush()

    def close(self) -> None:
        """Stop the worker, save finished HNSW graphs (a cache), close the store."""
        self.stop_worker()
        self._dynamics.flush_recalls()
        self._recall.close()
        self.store.close()

    def __enter__(self) -> Memory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals -----------------------------------------------------------

    def _namespace(self, namespace: str | None) -> str:
        return validate.namespace(self.settings.namespace if namespace is None else namespace)

    def _check_model(self, stored: str | None) -> None:
        """Record the embedder in a new store; re-embed or refuse on another model."""
        if stored is None:
            self.store.set_meta("embedder", self.embedder.name)
        elif stored != self.embedder.name:
            if self.settings.on_model_change != "reembed":
                raise EmbedderMismatch(stored, self.embedder.name, embedder_for(stored))
            log.warning("re-embedding the store: %s -> %s", stored, self.embedder.name)
            self.reembed()

    def _embed(self, texts: Sequence[str]) -> np.ndarray | None:
        """Normalised float32 vectors of passages, or None (logged) on a provider failure."""
        return embed(self.embedder, texts)

    def _embed_questions(self, texts: Sequence[str]) -> np.ndarray | None:
        return embed(self.embedder, texts, query=True)

    def _work_queued(self, shard: Shard | None = None) -> int:
        """The worker's pass over what add() left (see Writer.work_queued)."""
        return self._writer.work_queued(shard)

    def _leave_snapshot(self, ns: str) -> None:
        """A bulk worker's last step for a namespace (see Recall.leave_snapshot)."""
        self._recall.leave_snapshot(ns)
