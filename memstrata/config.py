"""Settings: explicit arguments > MEMSTRATA_* environment variables > defaults.

Nothing here runs at import time; ``Settings.load()`` reads the environment
when a ``Memory`` is built. Every variable is listed in docs/environment.md.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from memstrata.errors import InvalidInput
from memstrata.retrieve.tokens import NAMES

ENV_PREFIX = "MEMSTRATA_"
MAX_ROUNDS = 3  # iterative recall rounds a search may ask for


class Settings(BaseModel):
    """Every knob of the engine, validated."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: str = Field(
        "memstrata.db", description="the store: a SQLite file, or a postgresql:// URL"
    )
    namespace: str = Field("default", description="namespace used when a call names none")
    embedder: str = Field(
        "auto",
        description="registered embedder name; auto: the store's own, for a new store "
        "minilm-static",
    )
    embedder_url: str | None = Field(None, description="base URL of an OpenAI-compatible API")
    embedder_model: str | None = Field(None, description="model name for the HTTP embedder")
    embedder_api_key: str | None = Field(None, description="API key for the HTTP embedder")
    embedder_timeout_s: float = Field(30.0, gt=0)
    on_model_change: Literal["error", "reembed"] = "error"
    extractor: Literal["offline", "llm", "none"] = Field(
        "offline", description="how notes, entities and facts are extracted on add()"
    )
    extract_on_add: bool = Field(
        True,
        description="extract in add(); false: add() stores and queues, and the worker "
        "(MEMSTRATA_WORKER, `memstrata worker`) or flush() extracts",
    )
    embed_on_add: bool = Field(
        True,
        description="embed in add(); false: add() stores episodes searchable by their "
        "words, and the worker or flush() fills the vectors (dense search covers what is "
        "embedded)",
    )
    llm_url: str | None = Field(None, description="base URL of an OpenAI-compatible chat API")
    llm_model: str | None = Field(None, description="model name for the chat API")
    llm_api_key: str | None = Field(None, description="API key for the chat API")
    llm_timeout_s: float = Field(60.0, gt=0)
    tokenizer: str = Field(
        "qwen2.5",
        description="what context() counts its token budget in: qwen2.5, cl100k, o200k "
        "(bundled), estimate, or the path of a tokenizer.json",
    )
    max_content_chars: int = Field(200_000, gt=0, description="largest episode accepted")
    max_batch: int = Field(10_000, gt=0, description="most messages in one add()")
    max_query_chars: int = Field(10_000, gt=0)
    max_limit: int = Field(1_000, gt=0)
    candidate_depth: int = Field(100, gt=0, description="hits each retriever hands to the ranker")
    recall_rounds: int = Field(
        0,
        ge=0,
        le=MAX_ROUNDS,
        description="extra recall rounds for a weak first pass (iterative recall)",
    )
    ranker: Path | None = Field(
        None, description="a ranker model (JSON) to use instead of the shipped one"
    )
    reinforce: bool = Field(
        True, description="search strengthens the notes resting on what it returned"
    )
    worker: bool = Field(
        False,
        description="run background work (queued extraction, consolidation, forgetting) "
        "in a thread",
    )
    admin_key: str | None = Field(
        None, min_length=24, description="the REST service's admin key (creates and revokes keys)"
    )
    max_request_bytes: int = Field(
        4_000_000, gt=0, description="largest request body the REST service accepts"
    )
    rate_per_minute: int = Field(
        1200, gt=0, description="requests per minute a REST key may make (unless its own limit)"
    )
    bm25_k1: float = Field(1.5, gt=0)
    bm25_b: float = Field(0.75, ge=0, le=1)
    ann_threshold: int = Field(
        200_000, gt=0, description="vectors in a namespace above which an HNSW index is used"
    )
    ann_ef_search: int = Field(
        512, gt=0, le=4096, description="HNSW search breadth: higher is slower and more exact"
    )

    @field_validator("tokenizer")
    @classmethod
    def _known_tokenizer(cls, value: str) -> str:
        value = value.strip()
        if value.lower() not in NAMES and not value.endswith(".json"):
            raise ValueError(f"one of {', '.join(NAMES)}, or a tokenizer.json path")
        return value

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Build settings from the environment, then apply explicit overrides.

        Raises InvalidInput naming the offending field.
        """
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for name in cls.model_fields:
            raw = env.get(ENV_PREFIX + name.upper())
            if raw is not None and raw != "":
                values[name] = raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"])
            raise InvalidInput(first["msg"], field=field) from exc
