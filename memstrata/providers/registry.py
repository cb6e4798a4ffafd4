"""Provider registry: built-ins and third parties register the same way.

Third-party packages expose factories under the entry point groups
``memstrata.embedders`` (and later ``memstrata.llms``).
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


def create_embedder(name: str, settings: Settings) -> Embedder:
    """Build the registered embedder ``name``; InvalidInput if unknown."""
    _load_all()
    factory = _EMBEDDERS.get(name)
    if factory is None:
        raise InvalidInput(
            f"unknown embedder {name!r}; known: {', '.join(sorted(_EMBEDDERS))}", field="embedder"
        )
    return factory(settings)
