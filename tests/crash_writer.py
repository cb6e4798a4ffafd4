"""Writer process for the crash test: adds batches forever, printing each
acknowledged id only after add() has returned. Usage: crash_writer.py DB ROUND SEED"""

from __future__ import annotations

import random
import sys

from memstrata import Memory
from memstrata.testing import HashEmbedder


def main() -> None:
    path, round_id, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    rng = random.Random(seed)
    with Memory(path, embedder=HashEmbedder()) as memory:
        print("ready", flush=True)
        n = 0
        while True:
            size = rng.randint(1, 40)
            batch = [
                {
                    "id": f"{round_id}-{n + i}",
                    "content": f"crash round {round_id} item {n + i} token{rng.randint(0, 10**6)}",
                    "session_id": f"r{round_id}",
                }
                for i in range(size)
            ]
            namespace = rng.choice(["alpha", "beta"])
            memory.add(batch, namespace=namespace)
            print(namespace, *(m["id"] for m in batch), flush=True)
            if rng.random() < 0.1:
                memory.delete(batch[0]["id"], namespace=namespace)
                print("deleted", namespace, batch[0]["id"], flush=True)
            n += size


if __name__ == "__main__":
    main()
