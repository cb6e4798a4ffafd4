"""Layer 1: events, runs of episodes that belong together."""
