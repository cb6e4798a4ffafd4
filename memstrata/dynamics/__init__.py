"""Memory dynamics: strength and forgetting, consolidation, the summary tree,
the profile, background jobs and working memory."""
