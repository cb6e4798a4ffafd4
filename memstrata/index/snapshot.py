"""Snapshots of a namespace's index: a cache file beside the store.

Replaying a large namespace from the change log costs a new process seconds
per 10,000 episodes (every turn's terms counted, every note and fact analyzed
again). A snapshot holds what the replay built, as flat arrays in one ``.npz``
file (no pickles), with the change-log and structure-log positions it covers:
a new process loads it and replays only what came after. Like the HNSW file
it is a cache: deleting it loses nothing, and one written for another
incarnation of the namespace, another embedder or another format is ignored.
A purge deletes it, and a process holding the namespace's index replays the
log (and so the purge) before it writes another.
"""

from __future__ import annotations

import json
import logging
import os
import zipfile
from pathlib import Path

import numpy as np

from memstrata.index.namespace_index import NamespaceIndex

log = logging.getLogger("memstrata")
FORMAT = 2  # 2: the replies column
# Namespaces smaller than this replay in well under a second: no file for them.
MIN_EPISODES = 1_000


def _header(index: NamespaceIndex, model: str) -> dict[str, object]:
    return {
        "format": FORMAT,
        "namespace": index.namespace,
        "created_us": index.created_us,
        "model": model,
        "dimensions": index.vectors.dimensions,
        "in_database": index.in_database,
    }


def is_due(index: NamespaceIndex, closing: bool) -> bool:
    """Whether to write a snapshot now: the namespace is large enough, and either
    the process is closing with changes the file lacks, or the index grew by
    half since the file was written (a long replay is then not paid twice)."""
    if index.size < MIN_EPISODES or index.in_database or index.purged:
        return False
    if closing:
        return index.last_change > index.snapshot_change
    return index.size - index.snapshot_size >= max(MIN_EPISODES, index.snapshot_size // 2)


def save(index: NamespaceIndex, path: Path, model: str) -> None:
    """Write the index's state atomically (a temporary file, then a rename);
    the caller holds ``index.lock``."""
    state = index.state()
    state["header"] = np.frombuffer(json.dumps(_header(index, model)).encode(), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        with temp.open("wb") as out:
            np.savez(out, allow_pickle=False, **state)
        os.replace(temp, path)
    except OSError as exc:  # a cache: searching goes on without it
        log.warning("index snapshot of %s not written: %s", index.namespace, exc)
        temp.unlink(missing_ok=True)
        return
    index.snapshot_change, index.snapshot_size = index.last_change, index.size


def load(index: NamespaceIndex, path: Path, model: str) -> bool:
    """Fill a new, empty ``index`` from the snapshot at ``path`` if there is one
    made for it; False when there is none or it does not fit (the index may then
    be half filled: the caller discards it)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            if json.loads(data["header"].tobytes()) != _header(index, model):
                return False
            state = {name: data[name] for name in data.files if name != "header"}
        index.restore(state)
    except FileNotFoundError:
        return False
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as exc:
        log.warning("index snapshot %s ignored: %s", path, exc)
        return False
    index.snapshot_change, index.snapshot_size = index.last_change, index.size
    return True
