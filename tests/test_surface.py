"""Guards: the public surface is deliberate and documented."""

from __future__ import annotations

import dataclasses
import inspect
import re
import sqlite3
import typing
from pathlib import Path

import pytest
import typer

import memstrata
from memstrata import Filters, errors
from memstrata.async_memory import AsyncMemory
from memstrata.cli.main import app, bench_app
from memstrata.config import ENV_PREFIX, Settings
from memstrata.memory import Memory
from memstrata.server import schemas
from memstrata.store.sqlite import SqliteStore

DOCS = Path(__file__).resolve().parent.parent / "docs"
ASYNC_CONTEXTS = {"bulk"}  # verbs that are async context managers, not coroutines


def public_methods(cls: type) -> set[str]:
    """Public methods, inherited ones included."""
    return {n for n in dir(cls) if not n.startswith("_") and callable(getattr(cls, n))}


def test_all_lists_exactly_the_public_names() -> None:
    assert memstrata.__all__ == sorted(memstrata.__all__)
    exported = {n for n in vars(memstrata) if not n.startswith("_")} - {
        "bulk",
        "config",
        "errors",
        "memory",
        "model",
        "index",
        "providers",
        "retrieve",
        "store",
        "timeutil",
        "transfer",
        "validate",
        "cli",
        "bench",
        "testing",
        "extract",
        "resolve",
        "timing",
        "events",
        "messages",
        "async_memory",
        "dynamics",
        "server",
        "mcp",
        "parts",
        "documents",
        "integrations",
        "compat",
    }
    assert exported == set(memstrata.__all__)


def test_async_memory_has_every_verb_of_memory_with_its_signature() -> None:
    assert public_methods(Memory) | {"open"} == public_methods(AsyncMemory)
    for name in public_methods(Memory):
        method = getattr(AsyncMemory, name)
        assert inspect.iscoroutinefunction(method) or name in ASYNC_CONTEXTS, name
        mine, theirs = inspect.signature(method), inspect.signature(getattr(Memory, name))
        assert mine.parameters == theirs.parameters, name
        if name not in ASYNC_CONTEXTS:  # awaiting the verb gives what Memory returns
            assert mine.return_annotation == theirs.return_annotation, name
    constructor = inspect.signature(AsyncMemory.open).parameters
    assert list(constructor) == list(inspect.signature(Memory).parameters)
    assert inspect.iscoroutinefunction(AsyncMemory.open)
    for name in ASYNC_CONTEXTS:  # `async with memory.bulk():`
        assert inspect.isasyncgenfunction(inspect.unwrap(getattr(AsyncMemory, name))), name


def test_every_face_takes_the_filters_under_the_librarys_names() -> None:
    """One Filters record: the library's keywords, the REST bodies' fields and the
    CLI's visible options carry its fields under the same names."""
    fields = {f.name for f in dataclasses.fields(Filters)}
    assert fields == {"session_id", "speaker", "since", "until", "metadata"}
    for verb in (Memory.search, Memory.context):
        assert fields | {"filters"} <= set(inspect.signature(verb).parameters), verb
    for body in (schemas.SearchRequest, schemas.ContextRequest):
        assert fields <= set(body.model_fields), body
    commands = typer.main.get_group(app).commands
    for name in ("search", "context"):
        visible = {
            o for p in commands[name].params if not getattr(p, "hidden", False) for o in p.opts
        }
        assert {"--" + f.replace("_", "-") for f in fields} <= visible, name
        assert not {"--session", "--meta", "--budget"} & visible, name


def _mentions_any(hint: object) -> bool:
    return hint is typing.Any or any(_mentions_any(a) for a in typing.get_args(hint))


def test_no_exported_signature_says_any() -> None:
    """What memstrata exports is typed all through: no parameter or return of its
    own functions and methods is Any (inherited ones, pydantic's, are not ours)."""
    said = []
    for name in memstrata.__all__:
        exported = getattr(memstrata, name)
        members = vars(exported).items() if inspect.isclass(exported) else [(name, exported)]
        for attr, member in members:
            if attr.startswith("_") and attr != "__init__":
                continue
            function = member.fget if isinstance(member, property) else member
            function = getattr(function, "__func__", function)
            if not inspect.isfunction(function):
                continue
            for part, hint in typing.get_type_hints(function).items():
                if _mentions_any(hint):
                    said.append(f"{name}.{attr} {part}")
    assert said == []


def test_every_cli_command_is_documented() -> None:
    text = (DOCS / "cli.md").read_text()
    commands = [c.name or c.callback.__name__ for c in app.registered_commands]  # type: ignore[union-attr]
    commands += [f"bench {c.name}" for c in bench_app.registered_commands]
    assert len(commands) >= 14
    for command in commands:
        assert f"## memstrata {command}" in text, command


def test_every_error_is_documented_with_its_code() -> None:
    text = (DOCS / "library.md").read_text()
    for name, cls in vars(errors).items():
        if isinstance(cls, type) and issubclass(cls, errors.MemstrataError):
            assert f"`{name}`" in text and f"`{cls.code}`" in text, name


def test_every_setting_has_a_documented_variable() -> None:
    text = (DOCS / "environment.md").read_text()
    for field in Settings.model_fields:
        assert f"`{ENV_PREFIX}{field.upper()}`" in text, field


def test_every_table_and_column_is_documented(tmp_path: Path) -> None:
    SqliteStore(str(tmp_path / "s.db")).close()
    conn = sqlite3.connect(tmp_path / "s.db")
    text = (DOCS / "storage.md").read_text()
    tables = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    for table in tables:
        assert re.search(rf"^### `{table}`", text, re.M), table
        for column in conn.execute(f"PRAGMA table_info({table})"):
            assert f"| `{column[1]}` |" in text, f"{table}.{column[1]}"


def test_the_readme_python_example_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    readme = (DOCS.parent / "README.md").read_text()
    code = re.search(r"## From Python\n\n```python\n(.*?)```", readme, re.S)
    assert code is not None
    monkeypatch.chdir(tmp_path)
    exec(compile(code.group(1), "README.md", "exec"), {})
    assert capsys.readouterr().out.strip().endswith("['Lyon']")
