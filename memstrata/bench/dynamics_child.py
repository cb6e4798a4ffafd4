"""Consolidation rounds in their own process, for the kill test of
`memstrata bench dynamics`: python -m memstrata.bench.dynamics_child DB AT.

Queues a round for every namespace of DB at time AT, then runs the jobs."""

from __future__ import annotations

import sys

from memstrata.memory import Memory


def main(argv: list[str]) -> None:
    path, at = argv
    with Memory(path) as memory:
        for namespace in memory.namespaces():
            memory.consolidate(namespace=namespace, now=at, background=True)
        memory.run_jobs()


if __name__ == "__main__":
    main(sys.argv[1:])
