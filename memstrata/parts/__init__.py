"""The parts a Memory is composed of, each with the dependencies it is given:
the structured layers (``structure``), dynamics (strength and its
reinforcement buffer, forgetting, consolidation, jobs and the worker, the
summary tree, the profile) and working memory. Memory's public verbs resolve
the namespace and delegate to them."""
