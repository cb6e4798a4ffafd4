"""An OpenAI-compatible chat client (OpenAI, Ollama, vLLM, llama.cpp server, LM Studio)."""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx

from memstrata.config import Settings
from memstrata.errors import BadProviderOutput, InvalidInput
from memstrata.providers.http import make_client, post_json
from memstrata.providers.llm.base import Completion

SECONDS = "x_seconds"  # kept beside a cached answer: how long the endpoint took


@dataclass(slots=True)
class TokenUsage:
    """Calls sent to the endpoint, answers read from the cache instead, and the
    tokens the endpoint reported for the calls sent."""

    calls: int = 0
    cached: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0


class ChatClient:
    """Temperature 0, JSON-schema output, answers cached by the hash of the request."""

    def __init__(
        self,
        settings: Settings,
        cache_dir: Path | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not settings.llm_url or not settings.llm_model:
            raise InvalidInput(
                "the llm extractor needs llm_url and llm_model "
                "(MEMSTRATA_LLM_URL, MEMSTRATA_LLM_MODEL)",
                field="extractor",
            )
        self._client = make_client(
            settings.llm_url, settings.llm_api_key, settings.llm_timeout_s, transport
        )
        self._model = settings.llm_model
        self._cache_dir = cache_dir
        self.usage = TokenUsage()
        self.backoff_s = 0.5

    @property
    def name(self) -> str:
        return self._model

    def complete(
        self,
        messages: Sequence[Mapping[str, str]],
        schema: Mapping[str, Any] | None = None,
        accept: Callable[[str], bool] | None = None,
        max_tokens: int | None = None,
        *,
        keep_cut: bool = False,
    ) -> Completion:
        """One chat completion at temperature 0. A finished answer is cached on disk,
        unless ``accept`` says its text is unusable (so the question is asked again
        next time instead of replaying a bad answer forever). ``max_tokens`` bounds
        the answer: a model that runs on ends with finish reason "length", and such
        an answer is cached only with ``keep_cut`` (where a cut answer is final)."""
        payload: dict[str, Any] = {
            "model": self._model,
            "messages": [dict(m) for m in messages],
            "temperature": 0,
        }
        if max_tokens is not None:
            payload["max_tokens"] = max_tokens
        if schema is not None:
            payload["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "answer", "schema": dict(schema)},
            }
        key = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
        cached = self._cached(key)
        if cached is not None:
            self.usage.cached += 1
            return cached
        start = time.perf_counter()
        body = post_json(
            self._client, "/chat/completions", payload, backoff_s=self.backoff_s, what="LLM"
        )
        completion = replace(_completion(body), seconds=time.perf_counter() - start)
        self.usage.calls += 1
        self.usage.prompt_tokens += completion.prompt_tokens
        self.usage.completion_tokens += completion.completion_tokens
        finished = ("stop", "length") if keep_cut else ("stop",)
        if (completion.finish_reason is None or completion.finish_reason in finished) and (
            accept is None or accept(completion.text)
        ):
            self._store(key, body | {SECONDS: completion.seconds})
        return completion

    def _cached(self, key: str) -> Completion | None:
        if self._cache_dir is None:
            return None
        path = self._cache_dir / f"{key}.json"
        try:
            completion = _completion(json.loads(path.read_text()))
        except (OSError, ValueError, BadProviderOutput):
            return None
        return replace(completion, prompt_tokens=0, completion_tokens=0, cached=True)

    def _store(self, key: str, body: dict[str, Any]) -> None:
        if self._cache_dir is None:
            return
        self._cache_dir.mkdir(parents=True, exist_ok=True)
        temp = self._cache_dir / f"{key}.tmp"
        temp.write_text(json.dumps(body))
        os.replace(temp, self._cache_dir / f"{key}.json")


def _completion(body: dict[str, Any]) -> Completion:
    try:
        choice = body["choices"][0]
        text = choice["message"]["content"]
        usage = body.get("usage") or {}
        return Completion(
            text=str(text) if text is not None else "",
            finish_reason=choice.get("finish_reason"),
            prompt_tokens=int(usage.get("prompt_tokens", 0)),
            completion_tokens=int(usage.get("completion_tokens", 0)),
            seconds=float(body.get(SECONDS, 0.0)),
        )
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise BadProviderOutput(f"not a chat completion: {json.dumps(body)[:500]}") from exc
