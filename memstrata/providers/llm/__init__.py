"""LLMs reached through an OpenAI-compatible chat endpoint."""
