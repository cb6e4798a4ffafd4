"""Fakes for tests of code that uses memstrata (deterministic, no network).

Also here: ``testing.pg``, a throwaway PostgreSQL server and fresh databases
on it, and ``testing.synthetic``, seeded chat-like text; memstrata's own tests
and benchmarks use both."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from memstrata.providers.embed.hashing import HashEmbedder
from memstrata.providers.llm.base import Completion


class ScriptedLLM:
    """An LLM that answers from a script, in order, and records each question.

    >>> llm = ScriptedLLM('{"same": true}')
    >>> llm.complete([{"role": "user", "content": "a and b?"}]).text
    '{"same": true}'
    """

    def __init__(self, *answers: str, name: str = "scripted") -> None:
        self.answers = list(answers)
        self.questions: list[str] = []
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    def complete(
        self,
        messages: Sequence[Mapping[str, str]],
        schema: Mapping[str, Any] | None = None,
        accept: Callable[[str], bool] | None = None,
        max_tokens: int | None = None,
    ) -> Completion:
        self.questions.append(messages[-1]["content"])
        return Completion(self.answers.pop(0), "stop", 0, 0)


__all__ = ["HashEmbedder", "ScriptedLLM"]
