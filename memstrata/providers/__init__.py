"""Embedding (and later LLM) providers behind small protocols and a registry."""
