"""Fakes for tests of code that uses memstrata (deterministic, no network)."""

from memstrata.providers.embed.hashing import HashEmbedder

__all__ = ["HashEmbedder"]
