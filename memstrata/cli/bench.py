"""CLI benchmarks: `memstrata bench locomo | longmemeval | context | ranker | ingest |
scenarios | dynamics | load | scaleout | extract | scale | adapters | qa` (they need
the 'bench' extra).
Registered on bench_app when memstrata.cli.main is imported."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from memstrata.cli.common import bench_app, out
from memstrata.errors import InvalidInput

BackendOption = Annotated[
    str, typer.Option(help="sqlite, or postgres (a throwaway embedded PostgreSQL)")
]

LocomoOption = Annotated[Path, typer.Option(help="path to locomo10.json")]
LongMemEvalOption = Annotated[Path, typer.Option(help="the LongMemEval folder")]
OutOption = Annotated[Path, typer.Option("--out", help="results folder")]
QuestionsOption = Annotated[
    int | None, typer.Option(min=1, help="a stratified subset of N LongMemEval questions")
]


def _backend(value: str) -> str:
    if value not in ("sqlite", "postgres"):
        raise InvalidInput("must be sqlite or postgres", field="--backend")
    return value


@bench_app.command("locomo")
def bench_locomo(
    data: Annotated[Path, typer.Option(help="path to locomo10.json")],
    output: Annotated[Path, typer.Option("--out", help="results folder")] = Path("bench/results"),
    conversations: Annotated[int | None, typer.Option(help="only the first N")] = None,
    save_model: Annotated[
        Path | None, typer.Option(help="write the ranker fitted on every conversation here")
    ] = None,
    ablations: Annotated[bool, typer.Option(help="refit with each component off")] = True,
    backend: BackendOption = "sqlite",
) -> None:
    """Evidence retrieval on LoCoMo vs BM25, dense and RRF baselines, with
    held-out-conversation figures and ablations."""
    from memstrata.bench.locomo import run_locomo

    run_locomo(data, output, conversations, out, save_model, ablations, _backend(backend))


@bench_app.command("longmemeval")
def bench_longmemeval(
    data: Annotated[
        Path, typer.Option(help="the LongMemEval folder (questions.jsonl, sessions.jsonl.gz)")
    ] = Path("../shared/data/longmemeval-dev"),
    output: Annotated[Path, typer.Option("--out", help="results folder")] = Path("bench/results"),
    questions: Annotated[
        int | None, typer.Option(min=1, help="a stratified subset of N questions")
    ] = None,
) -> None:
    """Evidence retrieval on LongMemEval (all roles and user turns only) vs BM25,
    dense and RRF baselines, by question type, with held-out folds."""
    from memstrata.bench.longmemeval import run_longmemeval

    run_longmemeval(data, output, questions, out)


@bench_app.command("context")
def bench_context(
    locomo: LocomoOption = Path("../shared/data/locomo10.json"),
    longmemeval: LongMemEvalOption = Path("../shared/data/longmemeval-dev"),
    output: OutOption = Path("bench/results"),
    questions: QuestionsOption = None,
    tokenizer: Annotated[
        str | None, typer.Option(help="what budgets count: qwen2.5, cl100k, o200k, a .json")
    ] = None,
) -> None:
    """Evidence that context() puts within 500, 1,000 and 2,000 tokens as a reader
    counts them, and the blocks' real sizes, beside BM25's and RRF's top turns."""
    from memstrata.bench.budget import run_budget

    run_budget(locomo, longmemeval, output, questions, tokenizer, out)


@bench_app.command("ranker")
def bench_ranker(
    locomo: LocomoOption = Path("../shared/data/locomo10.json"),
    longmemeval: LongMemEvalOption = Path("../shared/data/longmemeval-dev"),
    output: OutOption = Path("bench/results"),
    questions: QuestionsOption = None,
    save_model: Annotated[
        Path | None, typer.Option(help="write the ranker fitted on both benchmarks here")
    ] = None,
) -> None:
    """One ranker for LoCoMo and LongMemEval: held-out figures of the shipped
    ranker, of rankers fitted on the other benchmark, within each, and jointly."""
    from memstrata.bench.joint import run_joint

    run_joint(locomo, longmemeval, output, questions, out, save_model)


@bench_app.command("scenarios")
def bench_scenarios(
    output: Annotated[Path, typer.Option("--out", help="results folder")] = Path("bench/results"),
    count: Annotated[int, typer.Option(help="how many scripted conversations")] = 64,
) -> None:
    """Write-side quality: contradictions, duplicates and lost facts on scripted conversations."""
    from memstrata.bench.scenarios import run_scenarios

    run_scenarios(output, count, out)


@bench_app.command("facts")
def bench_facts(
    data: Annotated[Path, typer.Option(help="a fact-scenario set (JSONL)")],
    output: Annotated[Path, typer.Option("--out", help="results folder")] = Path("bench/results"),
    per_kind: Annotated[
        int | None, typer.Option(help="only the first N scenarios of each kind")
    ] = None,
) -> None:
    """Facts and their times after natural conversations: checks passed per kind."""
    from memstrata.bench.factsets import run_fact_scenarios

    run_fact_scenarios(data, output, out, per_kind)


@bench_app.command("user-facts")
def bench_user_facts(
    data: Annotated[Path, typer.Option(help="the longmemeval-dev folder")] = Path(
        "../shared/data/longmemeval-dev"
    ),
    labels: Annotated[Path, typer.Option(help="labelled sentences (JSONL)")] = Path(
        "bench/labels/longmemeval-user-facts.jsonl"
    ),
    output: Annotated[Path, typer.Option("--out", help="results folder")] = Path("bench/results"),
) -> None:
    """Offline extraction on 200 labelled sentences of LongMemEval's user turns."""
    from memstrata.bench.userfacts import run_user_facts

    run_user_facts(labels, data, output, out)


@bench_app.command("dynamics")
def bench_dynamics(
    data: Annotated[Path, typer.Option(help="path to locomo10.json")],
    output: Annotated[Path, typer.Option("--out", help="results folder")] = Path("bench/results"),
    conversations: Annotated[int | None, typer.Option(help="only the first N")] = None,
    rounds: Annotated[int, typer.Option(help="consolidation rounds")] = 10,
) -> None:
    """LoCoMo, then consolidation rounds: nothing lost, duplicates, size, recall before and
    after; throughput; SIGKILL mid-round and resume."""
    from memstrata.bench.dynamics import run_dynamics

    run_dynamics(data, output, conversations, rounds, out)


@bench_app.command("load")
def bench_load(
    output: Annotated[Path, typer.Option("--out", help="results folder")] = Path("bench/results"),
    seconds: Annotated[float, typer.Option(help="how long the load runs")] = 60,
    writers: Annotated[int, typer.Option(help="writer threads")] = 8,
    readers: Annotated[int, typer.Option(help="reader threads")] = 32,
    workers: Annotated[int, typer.Option(help="server worker processes")] = 2,
    backend: BackendOption = "sqlite",
) -> None:
    """The REST service on loopback under concurrent writers and readers: errors, lost
    acknowledged writes, latency per route (needs the 'server' extra)."""
    from memstrata.bench.load import run_load

    run_load(output, seconds, writers, readers, workers, out, _backend(backend))


@bench_app.command("scaleout")
def bench_scaleout(
    n: Annotated[int, typer.Option(help="episodes")] = 100_000,
    namespaces: Annotated[int, typer.Option(help="namespaces they are spread over")] = 100,
    queries: Annotated[int, typer.Option(help="searches in random namespaces")] = 500,
    backend: BackendOption = "postgres",
    output: Annotated[Path, typer.Option("--out", help="results folder")] = Path("bench/results"),
) -> None:
    """Many namespaces in one store: ingest rate, cold and warm search latency."""
    from memstrata.bench.scaleout import run_scaleout

    run_scaleout(output, n, namespaces, queries, _backend(backend), out)


@bench_app.command("pgvector")
def bench_pgvector(
    n: Annotated[int, typer.Option(help="episodes in the one namespace")] = 200_000,
    queries: Annotated[int, typer.Option(help="queries")] = 200,
    output: Annotated[Path, typer.Option("--out", help="results folder")] = Path("bench/results"),
) -> None:
    """Dense search of a large namespace in process (exact, usearch HNSW) vs in
    PostgreSQL (pgvector HNSW): latency, recall@10, first search, memory held."""
    from memstrata.bench.pgvector import run_pgvector

    run_pgvector(output, n, queries, out)


@bench_app.command("extract")
def bench_extract(
    fixture: Annotated[Path, typer.Option(help="labelled JSONL")] = Path(
        "tests/fixtures/extraction_labelled.jsonl"
    ),
    output: Annotated[Path, typer.Option("--out", help="results folder")] = Path("bench/results"),
) -> None:
    """Offline extraction precision and recall on hand-labelled sentences."""
    from memstrata.bench.extraction import run_extraction_eval

    run_extraction_eval(fixture, output, out)


@bench_app.command("scale")
def bench_scale(
    n: Annotated[str, typer.Option(help="comma-separated sizes")] = "10000,100000",
    output: Annotated[Path, typer.Option("--out", help="results folder")] = Path("bench/results"),
    queries: Annotated[int, typer.Option(help="queries per size")] = 200,
) -> None:
    """Ingest and search latency at growing sizes, against exact numpy search."""
    from memstrata.bench.scale import run_scale

    sizes = [int(x) for x in n.split(",") if x.strip()]
    run_scale(sizes, output, queries, out)


@bench_app.command("ingest")
def bench_ingest(
    data: Annotated[Path, typer.Option(help="the longmemeval-dev folder")] = Path(
        "../shared/data/longmemeval-dev"
    ),
    output: Annotated[Path, typer.Option("--out", help="results folder")] = Path("bench/results"),
    layout: Annotated[
        list[str] | None, typer.Option(help="haystacks, one or many (default: all three)")
    ] = None,
    namespaces: Annotated[int, typer.Option(help="question namespaces of 'haystacks'")] = 100,
    small: Annotated[int, typer.Option(help="small namespaces of 'many'")] = 1000,
    messages: Annotated[int | None, typer.Option(help="at most N messages a layout")] = None,
) -> None:
    """Ingest and search on real chat (LongMemEval's sessions) in the default
    configuration, many namespaces in one file, beside the embedder alone and
    plain SQLite inserts."""
    from memstrata.bench.ingest import LAYOUTS, run_ingest

    chosen = layout or list(LAYOUTS)
    unknown = [x for x in chosen if x not in LAYOUTS]
    if unknown:
        raise InvalidInput(
            f"unknown layout {unknown[0]!r}; known: {', '.join(LAYOUTS)}", field="--layout"
        )
    run_ingest(data, output, chosen, out, namespaces, small, messages)


@bench_app.command("adapters")
def bench_adapters(
    data: LongMemEvalOption = Path("../shared/data/longmemeval-dev"),
    output: OutOption = Path("bench/results"),
    sizes: Annotated[str, typer.Option(help="items in the namespace, comma-separated")] = "1000",
) -> None:
    """What the framework adapters cost (LangGraph store, mem0 surface, Agents
    session) on real user turns, beside LangGraph's InMemoryStore; needs the
    langgraph and openai-agents extras."""
    from memstrata.bench.adapters import run_adapters

    try:
        counts = [int(s) for s in sizes.split(",")]
    except ValueError as exc:
        raise InvalidInput("must be whole numbers, comma-separated", field="--sizes") from exc
    run_adapters(data, output, counts, lambda line: out.print(line))


def _numbers(text: str, field: str) -> tuple[int, ...]:
    try:
        values = tuple(int(s) for s in text.split(",") if s.strip())
    except ValueError as exc:
        raise InvalidInput("must be whole numbers, comma-separated", field=field) from exc
    if not values or min(values) <= 0:
        raise InvalidInput("must be positive whole numbers, comma-separated", field=field)
    return values


def _choices(text: str, known: tuple[str, ...], field: str) -> tuple[str, ...]:
    chosen = tuple(s.strip() for s in text.split(",") if s.strip())
    unknown = [c for c in chosen if c not in known]
    if unknown or not chosen:
        raise InvalidInput(f"choose among {', '.join(known)}", field=field)
    return chosen


@bench_app.command("qa")
def bench_qa(
    reader_url: Annotated[
        str, typer.Option(envvar="MEMSTRATA_LLM_URL", help="OpenAI-compatible base URL")
    ],
    reader_model: Annotated[str, typer.Option(envvar="MEMSTRATA_LLM_MODEL")],
    judge_url: Annotated[str | None, typer.Option(help="default: the reader's")] = None,
    judge_model: Annotated[str | None, typer.Option(help="default: the reader")] = None,
    api_key: Annotated[str | None, typer.Option(envvar="MEMSTRATA_LLM_API_KEY")] = None,
    locomo: LocomoOption = Path("../shared/data/locomo10.json"),
    longmemeval: LongMemEvalOption = Path("../shared/data/longmemeval-dev"),
    benchmarks: Annotated[str, typer.Option(help="locomo, longmemeval or both")] = (
        "locomo,longmemeval"
    ),
    questions: Annotated[
        int | None, typer.Option(min=1, help="a stratified subset of N questions a benchmark")
    ] = None,
    budgets: Annotated[str, typer.Option(help="token budgets, comma-separated")] = "500,1000,2000",
    contexts: Annotated[str, typer.Option(help="among memstrata, rrf, full, none")] = (
        "memstrata,rrf,full,none"
    ),
    window: Annotated[int, typer.Option(min=512, help="the reader's context window")] = 4096,
    answer_tokens: Annotated[int, typer.Option(min=1, help="longest answer")] = 128,
    timeout: Annotated[float, typer.Option(min=1, help="seconds a call may take")] = 300.0,
    cache: Annotated[Path, typer.Option(help="where answers are cached")] = Path("bench/cache/qa"),
    tokenizer: Annotated[
        str | None, typer.Option(help="the reader's tokenizer: qwen2.5, cl100k, o200k, a .json")
    ] = None,
    output: OutOption = Path("bench/results"),
    name: Annotated[str, typer.Option(help="results file name")] = "qa",
) -> None:
    """Answer accuracy with a reader and a judge LLM: memstrata's context() against
    RRF's top turns at the same budgets, the full history and no context."""
    from memstrata.bench.qa import CONTEXTS, Endpoint, QaOptions, run_qa

    chosen = _choices(benchmarks, ("locomo", "longmemeval"), "--benchmarks")
    reader = Endpoint(reader_url, reader_model, api_key)
    judge = Endpoint(judge_url or reader_url, judge_model or reader_model, api_key)
    options = QaOptions(
        reader,
        judge,
        cache,
        budgets=_numbers(budgets, "--budgets"),
        contexts=_choices(contexts, CONTEXTS, "--contexts"),
        window=window,
        answer_tokens=answer_tokens,
        timeout_s=timeout,
        questions=questions,
        tokenizer=tokenizer,
    )
    run_qa(
        locomo if "locomo" in chosen else None,
        longmemeval if "longmemeval" in chosen else None,
        output,
        options,
        out,
        name,
    )
