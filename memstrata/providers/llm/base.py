"""The LLM protocol: one required method."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Completion:
    """An answer: its text, why it stopped, its token counts, and whether it came from cache."""

    text: str
    finish_reason: str | None
    prompt_tokens: int
    completion_tokens: int
    cached: bool = False


class LLM(Protocol):
    @property
    def name(self) -> str: ...

    def complete(
        self,
        messages: Sequence[Mapping[str, str]],
        schema: Mapping[str, Any] | None = None,
        accept: Callable[[str], bool] | None = None,
    ) -> Completion:
        """``accept`` tells a caching client whether the answer's text is usable."""
        ...
