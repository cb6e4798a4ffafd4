"""The LLM extractor: one chat call per batch, validated, with a visible fallback.

A malformed, truncated or failed answer never costs an episode: the batch is
extracted by the fallback (offline) extractor instead, the raw answer is
logged, and the episodes are recorded as extracted by
"<fallback> (fallback from llm:<model>)".
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import UTC, datetime

from pydantic import ValidationError

from memstrata.errors import BadProviderOutput, ProviderError
from memstrata.extract.base import EntityDraft, Extraction, Extractor, FactDraft, NoteDraft
from memstrata.extract.prompts.extraction import LlmExtraction, extraction_prompt
from memstrata.index import analyzer
from memstrata.model import Episode
from memstrata.providers.llm.base import LLM, parses

log = logging.getLogger("memstrata")
_PREDICATE = re.compile(r"[^a-z0-9]+")


class LlmExtractor:
    def __init__(self, llm: LLM, fallback: Extractor) -> None:
        self._llm = llm
        self._fallback = fallback
        self.fallbacks = 0

    @property
    def name(self) -> str:
        return f"llm:{self._llm.name}"

    def extract(self, episodes: Sequence[Episode]) -> Extraction:
        messages, schema = extraction_prompt(episodes)
        try:
            completion = self._llm.complete(
                messages, schema, parses(LlmExtraction), max_tokens=answer_budget(episodes)
            )
            if completion.finish_reason == "length":
                raise BadProviderOutput(f"truncated answer: {completion.text[:2000]!r}")
            try:
                parsed = LlmExtraction.model_validate_json(completion.text)
            except ValidationError as exc:
                raise BadProviderOutput(
                    f"answer does not follow the schema ({exc.error_count()} errors): "
                    f"{completion.text[:2000]!r}"
                ) from exc
            return _drafts(parsed, episodes, self.name)
        except ProviderError as exc:
            self.fallbacks += 1
            log.warning("LLM extraction failed, using %s instead: %s", self._fallback.name, exc)
            out = self._fallback.extract(episodes)
            out.source = f"{self._fallback.name} (fallback from {self.name})"
            return out


def answer_budget(episodes: Sequence[Episode]) -> int:
    """Tokens an extraction may answer with: a little per message, so that a model
    that loops on stops (and the batch falls back) instead of running for minutes."""
    return min(4096, 512 + 128 * len(episodes))


def _drafts(parsed: LlmExtraction, episodes: Sequence[Episode], source: str) -> Extraction:
    out = Extraction(source=source)
    kinds: dict[str, str] = {}
    for entity in parsed.entities:
        if 0 <= entity.message < len(episodes):
            out.entities.append(EntityDraft(entity.name, entity.kind, episodes[entity.message].id))
            kinds[entity.name.casefold()] = entity.kind
    for fact in parsed.facts:
        if not 0 <= fact.message < len(episodes):
            continue
        episode = episodes[fact.message]
        predicate = _PREDICATE.sub("_", fact.predicate.lower()).strip("_")
        if not predicate:
            continue
        object_kind = kinds.get(fact.object.casefold(), "other") if fact.object_is_entity else None
        out.facts.append(
            FactDraft(
                subject=fact.subject,
                subject_kind=kinds.get(fact.subject.casefold(), "person"),
                predicate=predicate,
                object=fact.object,
                object_kind=object_kind,
                valid_at=_valid_at(fact.valid_at, episode),
                statement=episode.content[:1000],
                episode_id=episode.id,
                correction=fact.correction,
                stated_at=episode.occurred_at,
            )
        )
    for note in parsed.notes:
        if 0 <= note.message < len(episodes):
            episode = episodes[note.message]
            own = set(analyzer.terms(episode.speaker or ""))
            keywords = tuple(k for k in dict.fromkeys(analyzer.terms(note.text)) if k not in own)[
                :8
            ]
            tags = tuple(
                dict.fromkeys(e.name.lower() for e in parsed.entities if e.message == note.message)
            )
            out.notes.append(
                NoteDraft(
                    note.kind,
                    note.text,
                    keywords,
                    episode.speaker or episode.role or "user",
                    episode.occurred_at,
                    episode.id,
                    tags,
                )
            )
    return out


def _valid_at(raw: str | None, episode: Episode) -> datetime:
    """An ISO date or time from the answer, never after the message itself."""
    if raw:
        try:
            parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            return episode.occurred_at
        parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        return min(parsed.astimezone(UTC), episode.occurred_at)
    return episode.occurred_at
