"""Embedders: the bundled static model, a hash embedder for tests, an HTTP client."""

from memstrata.providers.embed.base import Embedder

__all__ = ["Embedder"]
