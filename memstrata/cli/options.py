"""Options several commands share, named like the library's keywords
(``--session-id``, ``--metadata``, ``--token-budget``). The names they had
before (``--session``, ``--meta``, ``--budget``) are still accepted, hidden
from the help, for one release."""

from __future__ import annotations

import json
from typing import Annotated, TypeVar

import typer

from memstrata.errors import InvalidInput
from memstrata.model import Filters, JSONValue

T = TypeVar("T")

SessionIdOption = Annotated[str | None, typer.Option("--session-id", help="session id")]
SessionAlias = Annotated[str | None, typer.Option("--session", hidden=True)]
SpeakerOption = Annotated[str | None, typer.Option("--speaker", help="only this speaker")]
SinceOption = Annotated[
    str | None, typer.Option("--since", help="occurred at or after (ISO 8601 with offset)")
]
UntilOption = Annotated[
    str | None, typer.Option("--until", help="occurred before (ISO 8601 with offset)")
]
MetadataOption = Annotated[
    list[str] | None,
    typer.Option("--metadata", help="metadata key=value, value parsed as JSON (repeatable)"),
]
MetaAlias = Annotated[list[str] | None, typer.Option("--meta", hidden=True)]
TokenBudgetOption = Annotated[
    int | None, typer.Option("--token-budget", help="token budget (default 1000; answer 2000)")
]
BudgetAlias = Annotated[int | None, typer.Option("--budget", hidden=True)]


def renamed(value: T | None, old: T | None, name: str) -> T | None:
    """An option's value, given under its name or under its old one; not both."""
    if old is None:
        return value
    if value is not None:
        raise InvalidInput(f"give --{name} once (--{old_name(name)} is its old name)", field=name)
    return old


def old_name(name: str) -> str:
    return {"session-id": "session", "metadata": "meta", "token-budget": "budget"}[name]


def metadata(pairs: list[str] | None) -> dict[str, JSONValue]:
    """``key=value`` pairs as metadata, each value parsed as JSON (kept as text if not)."""
    result: dict[str, JSONValue] = {}
    for pair in pairs or []:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise InvalidInput(f"expected key=value, got {pair!r}", field="--metadata")
        try:
            result[key] = json.loads(raw)
        except json.JSONDecodeError:
            result[key] = raw
    return result


def filters(
    session_id: str | None,
    speaker: str | None,
    since: str | None,
    until: str | None,
    pairs: list[str] | None,
) -> Filters:
    """The Filters record the filter options make."""
    return Filters(session_id, speaker, since, until, metadata(pairs) or None)
