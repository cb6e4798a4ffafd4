"""Provider registry: built-ins and third parties register the same way.

Third-party packages expose factories under the entry point groups
``memstrata.embedders`` (and later ``memstrata.llms``).

The embedder named ``auto`` (the default) is the one a store's vectors were
made by, and for a new store the bundled static model: it embeds real chat at
1,500 messages a second or more on 2 cores, where e5-small manages two or
three (docs/benchmarks.md, "Ingest on real conversations"). e5-small is an
opt-in (``MEMSTRATA_EMBEDDER=e5-small``) for stores that trade ingest speed
for recall.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from importlib.metadata import entry_points
from typing import TypeVar

from memstrata.config import Settings
from memstrata.errors import InvalidInput
from memstrata.providers.embed.base import Embedder

EmbedderFactory = Callable[[Settings], Embedder]
_EMBEDDERS: dict[str, EmbedderFactory] = {}
_BUILTIN_MODULES = (
    "memstrata.providers.embed.static",
    "memstrata.providers.embed.hashing",
    "memstrata.providers.embed.http",
    "memstrata.providers.embed.e5",
)
F = TypeVar("F", bound=EmbedderFactory)
AUTO = "auto"


def register_embedder(name: str) -> Callable[[F], F]:
    """Register an embedder factory (a class or function taking Settings)."""

    def decorate(factory: F) -> F:
        _EMBEDDERS[name] = factory
        return factory

    return decorate


def _load_all() -> None:
    for module in _BUILTIN_MODULES:
        import_module(module)
    for entry in entry_points(group="memstrata.embedders"):
        if entry.name not in _EMBEDDERS:
            _EMBEDDERS[entry.name] = entry.load()


def default_embedder() -> str:
    """The embedder a new store gets: the bundled static model."""
    return "minilm-static"


def embedder_for(model: str) -> str | None:
    """The registered name of the embedder whose vectors are named ``model``
    ("minilm-static-256" -> "minilm-static", "openai:m" -> "openai"), or None."""
    _load_all()
    for name, factory in _EMBEDDERS.items():
        if getattr(factory, "name", None) == model:
            return name
    prefix = model.split(":", 1)[0]
    return prefix if ":" in model and prefix in _EMBEDDERS else None


def resolve_embedder(name: str, stored: str | None) -> str:
    """``name``, or for ``auto`` the embedder of the store's vectors (``stored``)
    when it is a known one, else the default for a new store."""
    if name != AUTO:
        return name
    return (embedder_for(stored) if stored else None) or default_embedder()


def create_embedder(name: str, settings: Settings) -> Embedder:
    """Build the registered embedder ``name`` (``auto``: the default for a new
    store); InvalidInput if unknown."""
    _load_all()
    name = resolve_embedder(name, None)
    factory = _EMBEDDERS.get(name)
    if factory is None:
        raise InvalidInput(
            f"unknown embedder {name!r}; known: {', '.join(sorted([AUTO, *_EMBEDDERS]))}",
            field="embedder",
        )
    return factory(settings)
