"""An OpenAI-compatible ``/embeddings`` client (OpenAI, Ollama, vLLM, LM Studio ...)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from memstrata.config import Settings
from memstrata.errors import BadProviderOutput, InvalidInput
from memstrata.providers.http import make_client, post_json
from memstrata.providers.registry import register_embedder

_BATCH = 128
_RETRIES = 3


@register_embedder("openai")
class HttpEmbedder:
    """POSTs ``{"model", "input"}`` to ``{embedder_url}/embeddings``.

    Retries 429 and 5xx answers with exponential backoff; any other failure
    raises ProviderUnavailable, and an answer of the wrong shape raises
    BadProviderOutput.
    """

    def __init__(self, settings: Settings, transport: httpx.BaseTransport | None = None) -> None:
        if not settings.embedder_url or not settings.embedder_model:
            raise InvalidInput(
                "the openai embedder needs embedder_url and embedder_model "
                "(MEMSTRATA_EMBEDDER_URL, MEMSTRATA_EMBEDDER_MODEL)",
                field="embedder",
            )
        self._client = make_client(
            settings.embedder_url,
            settings.embedder_api_key,
            settings.embedder_timeout_s,
            transport,
        )
        self._model = settings.embedder_model
        self._dimensions: int | None = None
        self.name = f"openai:{self._model}"
        self.backoff_s = 0.5

    @property
    def dimensions(self) -> int:
        if self._dimensions is None:
            self.embed_batch(["dimension probe"])
        assert self._dimensions is not None
        return self._dimensions

    def embed_batch(self, texts: Sequence[str]) -> list[list[float]]:
        out: list[list[float]] = []
        for start in range(0, len(texts), _BATCH):
            out.extend(self._call(list(texts[start : start + _BATCH])))
        return out

    def _call(self, texts: list[str]) -> list[list[float]]:
        body = post_json(
            self._client,
            "/embeddings",
            {"model": self._model, "input": texts},
            retries=_RETRIES,
            backoff_s=self.backoff_s,
            what="embedding endpoint",
        )
        return self._parse(body, len(texts))

    def _parse(self, body: dict[str, Any], count: int) -> list[list[float]]:
        try:
            rows = sorted(body["data"], key=lambda item: int(item["index"]))
            vectors = [[float(x) for x in row["embedding"]] for row in rows]
        except (ValueError, KeyError, TypeError) as exc:
            raise BadProviderOutput(f"not an embeddings answer: {str(body)[:200]!r}") from exc
        if len(vectors) != count or len({len(v) for v in vectors}) != 1:
            raise BadProviderOutput(f"expected {count} vectors of one size, got {len(vectors)}")
        if self._dimensions is None:
            self._dimensions = len(vectors[0])
        elif len(vectors[0]) != self._dimensions:
            raise BadProviderOutput(
                f"vector size changed from {self._dimensions} to {len(vectors[0])}"
            )
        return vectors
