"""What every CLI command module shares: the app and its bench group, the
consoles, the common options, and the store the options name."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from memstrata.config import Settings
from memstrata.errors import NotFound
from memstrata.memory import Memory
from memstrata.store import store_file

app = typer.Typer(help="memstrata: structured long-term memory.", no_args_is_help=True)
bench_app = typer.Typer(help="Benchmarks (need the 'bench' extra).", no_args_is_help=True)
app.add_typer(bench_app, name="bench")
# piped output is not wrapped at 80 columns (ids and lines stay whole)
out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 4096)
err = Console(stderr=True, soft_wrap=True)

DbOption = Annotated[str | None, typer.Option("--db", help="store file (MEMSTRATA_PATH)")]
JsonFlag = Annotated[bool, typer.Option("--json", help="print JSON instead of a table")]
NowOption = Annotated[
    str | None, typer.Option(help="when the question is asked (ISO 8601; default now)")
]


@app.callback()
def root(
    ctx: typer.Context,
    db: DbOption = None,
    namespace: Annotated[str | None, typer.Option(help="namespace (MEMSTRATA_NAMESPACE)")] = None,
    embedder: Annotated[str | None, typer.Option(help="embedder (MEMSTRATA_EMBEDDER)")] = None,
) -> None:
    ctx.obj = {"path": db, "namespace": namespace, "embedder": embedder}


def settings_of(ctx: typer.Context) -> Settings:
    return Settings.load(**{k: v for k, v in ctx.obj.items() if v is not None})


def memory_of(ctx: typer.Context, *, create: bool = False) -> Memory:
    """The store the options name. Only commands that write new data (``create``)
    make a new file; the others name the missing one rather than answer from an
    empty store a typo created."""
    settings = settings_of(ctx)
    path = store_file(settings.path)
    if path is not None and path != ":memory:" and not create and not Path(path).exists():
        raise NotFound("store", path)
    return Memory(settings=settings)
