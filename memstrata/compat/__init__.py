"""Surfaces of other memory libraries over memstrata, so code written for them runs unchanged."""
