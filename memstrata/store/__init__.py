"""Storage backends behind one protocol (see store/base.py)."""

from memstrata.store.base import IndexEntry, NewEpisode, Store

__all__ = ["IndexEntry", "NewEpisode", "Store"]
