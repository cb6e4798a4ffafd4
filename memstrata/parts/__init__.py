"""The parts a Memory is composed of, each given what it depends on: recall
(the per-namespace indexes, the ranker, the word space, one recall's passes),
the structured layers (``structure``), dynamics (strength and its
reinforcement buffer, forgetting, consolidation, jobs and the worker, the
summary tree, the profile), working memory, and writing (storing episodes,
extraction, the worker's pass, bulk loads). Memory's public verbs resolve
the namespace, validate what they are given and delegate to them."""
