"""A bulk-load worker process (``memstrata.bulk``): it owns a shard of the
namespaces and embeds and structures what ``add()`` stored there, until its
input ends and a pass finds nothing left."""

from __future__ import annotations

import logging
import sys
import threading

from memstrata.bulk import IDLE_S, Shard
from memstrata.config import Settings
from memstrata.memory import Memory


def _work(settings: Settings, shard: Shard, adding_ended: threading.Event) -> None:
    """Passes over the shard until adding ended and a pass found nothing left;
    then a snapshot of each large namespace it structured."""
    with Memory(settings=settings) as memory:
        structured: set[str] = set()
        while True:
            ended = adding_ended.is_set()  # read first: what was added before is seen below
            structured |= {
                ns for ns in memory.store.structure.queued_namespaces() if shard.owns(ns)
            }
            if memory._work_queued(shard) == 0:
                if ended:
                    break
                adding_ended.wait(IDLE_S)
        for ns in sorted(structured):
            memory._leave_snapshot(ns)


def main(argv: list[str]) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    shard = Shard(int(argv[0]), int(argv[1]))
    settings = Settings.model_validate_json(sys.stdin.readline())
    adding_ended = threading.Event()

    def watch() -> None:
        sys.stdin.read()  # returns at the end of input
        adding_ended.set()

    threading.Thread(target=watch, daemon=True).start()
    _work(settings, shard, adding_ended)
