"""The LLM protocol: one required method."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel, ValidationError


@dataclass(frozen=True, slots=True)
class Completion:
    """An answer: its text, why it stopped, its token counts, whether it came from
    cache, and how long the endpoint took to give it (also when replayed)."""

    text: str
    finish_reason: str | None
    prompt_tokens: int
    completion_tokens: int
    cached: bool = False
    seconds: float = 0.0


class LLM(Protocol):
    @property
    def name(self) -> str: ...

    def complete(
        self,
        messages: Sequence[Mapping[str, str]],
        schema: Mapping[str, Any] | None = None,
        accept: Callable[[str], bool] | None = None,
        max_tokens: int | None = None,
    ) -> Completion:
        """``accept`` tells a caching client whether the answer's text is usable;
        ``max_tokens`` bounds the answer's length."""
        ...


def parses(model: type[BaseModel]) -> Callable[[str], bool]:
    """An ``accept`` for ``ChatClient.complete``: whether an answer's text is JSON that
    ``model`` validates (an answer that is not, is not cached, so it is asked again)."""

    def accept(text: str) -> bool:
        try:
            model.model_validate_json(text)
        except ValidationError:
            return False
        return True

    return accept
