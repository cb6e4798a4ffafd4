"""Benchmarks: run side by side with their baselines, in one process."""
