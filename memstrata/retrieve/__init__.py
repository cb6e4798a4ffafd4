"""The read path: candidates from several retrievers, fused into one ranking."""
