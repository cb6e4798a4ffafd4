"""Extraction: notes, entities and facts distilled from episodes."""
