"""Bulk loading on every core: while a bulk load runs, ``add()`` stores episodes
with their words only, and worker processes, each owning a share of the
namespaces, embed and extract what was stored; the load ends when every
episode has its vector and is structured.

Shares are fixed by a hash of the namespace's name, so no two workers ever
extract the same namespace and a namespace's episodes are structured in order.

A worker is a Python process running ``bulk_worker.main(INDEX, COUNT)``: it reads the
settings as one JSON line on its standard input, and the end of its input says
that adding has ended (so a worker whose parent dies stops too).
"""

from __future__ import annotations

import contextlib
import logging
import subprocess
import sys
import zlib
from dataclasses import dataclass

from memstrata.config import Settings

log = logging.getLogger("memstrata")
IDLE_S = 0.05  # a worker finding nothing waits this long before it looks again
_WORKER = "import sys; from memstrata.bulk_worker import main; main(sys.argv[1:])"


@dataclass(frozen=True, slots=True)
class Shard:
    """Worker ``index`` of ``count`` owns the namespaces whose hash falls to it."""

    index: int
    count: int

    def owns(self, namespace: str) -> bool:
        return zlib.crc32(namespace.encode("utf-8")) % self.count == self.index


def owned(shard: Shard | None, namespace: str) -> bool:
    return shard is None or shard.owns(namespace)


class BulkWorkers:
    """``count`` worker processes over the store ``settings`` name."""

    def __init__(self, settings: Settings, count: int) -> None:
        line = settings.model_dump_json() + "\n"
        self._processes = [
            subprocess.Popen(
                [sys.executable, "-c", _WORKER, str(i), str(count)],
                stdin=subprocess.PIPE,
                text=True,
            )
            for i in range(count)
        ]
        for process in self._processes:
            assert process.stdin is not None
            process.stdin.write(line)
            process.stdin.flush()

    def finish(self) -> None:
        """Wait until every worker has done its share (what a failed worker
        left stays queued for whoever looks next)."""
        self._end_input()
        for i, process in enumerate(self._processes):
            if process.wait() != 0:
                log.warning("bulk worker %d ended with code %s", i, process.returncode)

    def stop(self) -> None:
        """Stop at once: what is not done stays queued."""
        self._end_input()
        for process in self._processes:
            process.terminate()
        for process in self._processes:
            process.wait()

    def _end_input(self) -> None:
        for process in self._processes:
            assert process.stdin is not None
            with contextlib.suppress(BrokenPipeError):  # the worker is gone already
                process.stdin.close()
