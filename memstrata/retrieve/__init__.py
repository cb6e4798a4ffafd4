"""The read path: query analysis, candidates from every layer, a learned ranker, context."""
