"""Search results: an episode as a Hit."""

from __future__ import annotations

from collections.abc import Mapping

from memstrata.model import Episode, Hit


def to_hit(episode: Episode, score: float, ranks: Mapping[str, int]) -> Hit:
    """A search result for an episode, with the ranks that found it."""
    return Hit(
        id=episode.id,
        kind="episode",
        namespace=episode.namespace,
        text=episode.content,
        score=score,
        occurred_at=episode.occurred_at,
        session_id=episode.session_id,
        speaker=episode.speaker,
        episode_ids=(episode.id,),
        ranks=dict(ranks),
        metadata=episode.metadata,
    )
