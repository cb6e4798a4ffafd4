"""Prompts: pure functions returning chat messages and a JSON schema."""
