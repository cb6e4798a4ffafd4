"""An OpenAI-compatible ``/embeddings`` client (OpenAI, Ollama, vLLM, LM Studio ...)."""

from __future__ import annotations

import time
from collections.abc import Sequence

import httpx

from memstrata.config import Settings
from memstrata.errors import BadProviderOutput, InvalidInput, ProviderUnavailable
from memstrata.providers.registry import register_embedder

_BATCH = 128
_RETRIES = 3
_RETRY_STATUS = {429, 500, 502, 503, 504}


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
        headers = {}
        if settings.embedder_api_key:
            headers["Authorization"] = f"Bearer {settings.embedder_api_key}"
        self._client = httpx.Client(
            base_url=settings.embedder_url.rstrip("/"),
            headers=headers,
            timeout=settings.embedder_timeout_s,
            transport=transport,
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
        payload = {"model": self._model, "input": texts}
        for attempt in range(_RETRIES):
            try:
                response = self._client.post("/embeddings", json=payload)
            except httpx.HTTPError as exc:
                if attempt == _RETRIES - 1:
                    raise ProviderUnavailable(f"embedding endpoint unreachable: {exc}") from exc
            else:
                if response.status_code not in _RETRY_STATUS:
                    break
                if attempt == _RETRIES - 1:
                    raise ProviderUnavailable(
                        f"embedding endpoint answered {response.status_code} after {_RETRIES} tries"
                    )
            time.sleep(self.backoff_s * 2**attempt)
        if response.status_code >= 400:
            raise ProviderUnavailable(
                f"embedding endpoint answered {response.status_code}: {response.text[:200]}"
            )
        return self._parse(response, len(texts))

    def _parse(self, response: httpx.Response, count: int) -> list[list[float]]:
        try:
            data = response.json()["data"]
            rows = sorted(data, key=lambda item: int(item["index"]))
            vectors = [[float(x) for x in row["embedding"]] for row in rows]
        except (ValueError, KeyError, TypeError) as exc:
            raise BadProviderOutput(f"not an embeddings answer: {response.text[:200]!r}") from exc
        if len(vectors) != count or len({len(v) for v in vectors}) != 1:
            raise BadProviderOutput(f"expected {count} vectors of one size, got {len(vectors)}")
        if self._dimensions is None:
            self._dimensions = len(vectors[0])
        elif len(vectors[0]) != self._dimensions:
            raise BadProviderOutput(
                f"vector size changed from {self._dimensions} to {len(vectors[0])}"
            )
        return vectors
