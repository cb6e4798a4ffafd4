"""One Memory shared by threads that write and read at once (as the REST service
does): no reader fails while the index grows under it, nothing written is lost."""

from __future__ import annotations

import threading

from memstrata import Memory
from memstrata.testing import HashEmbedder
from memstrata.testing.synthetic import ChatGenerator

WRITERS, READERS, BATCHES = 3, 4, 40


def test_reads_during_writes_neither_fail_nor_lose_anything(where: str) -> None:
    errors: list[BaseException] = []
    acked: list[str] = []
    writer_lock = threading.Lock()
    done = threading.Event()
    with Memory(where, embedder=HashEmbedder()) as memory:
        memory.add("a first message so every namespace exists", namespace="shared")

        def write(number: int) -> None:
            gen = ChatGenerator(seed=number)
            try:
                for batch in range(BATCHES):
                    messages = gen.messages(batch * 3, 3)
                    with writer_lock:  # one writer at a time, as the service does
                        stored = memory.add(messages, namespace="shared")
                    acked.extend(e.id for e in stored)
            except BaseException as exc:
                errors.append(exc)

        def read(number: int) -> None:
            queries = ChatGenerator(seed=100 + number).queries(50)
            try:
                while not done.is_set():
                    for query in queries[:10]:
                        memory.search(query, namespace="shared", limit=5)
                        memory.context(query, namespace="shared", token_budget=300)
            except BaseException as exc:
                errors.append(exc)

        writers = [threading.Thread(target=write, args=(i,)) for i in range(WRITERS)]
        readers = [threading.Thread(target=read, args=(i,)) for i in range(READERS)]
        for thread in writers + readers:
            thread.start()
        for thread in writers:
            thread.join()
        done.set()
        for thread in readers:
            thread.join()
        assert errors == []
        assert (
            len(memory.store.episodes.get("shared", acked)) == len(acked) == WRITERS * BATCHES * 3
        )
