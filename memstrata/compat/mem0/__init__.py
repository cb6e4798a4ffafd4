"""A mem0-compatible ``Memory``: code written for mem0's open-source ``Memory``
runs on memstrata by changing its import (``AsyncMemory`` too).

>>> from memstrata.compat.mem0 import Memory                       # doctest: +SKIP
>>> m = Memory()                                                   # doctest: +SKIP
>>> m.add("I live in Porto", user_id="alice")                      # doctest: +SKIP
>>> m.search("where does she live?", filters={"user_id": "alice"})  # doctest: +SKIP

The methods take mem0's arguments and return mem0's shapes (``{"results":
[{"id", "memory", "hash", "metadata", "score", "created_at", "updated_at",
"user_id", ...}]}``). What differs, on purpose:

- A memory's scope is its user, else its agent, else its run: one memstrata
  namespace each (``mem0.u.<user>``, ``mem0.a.<agent>``, ``mem0.r.<run>``), so
  no search crosses users. The other ids are kept on the memory and filter
  within the scope: a search with only ``agent_id`` finds the memories added
  with that agent and no user.
- ``add(..., infer=True)`` keeps the messages themselves (namespace
  ``<scope>.log``) and needs no LLM: memstrata's extractor reads the facts,
  each becomes a memory per subject and predicate ("user lives_in"), and a
  fact that contradicts an older one *updates* that memory (event
  ``UPDATE``, the old value in its history) instead of leaving both. A user
  turn that states no fact gives its distilled notes as memories.
- Deletes are soft: ``history`` keeps every value; ``reset`` purges.
- Scores are memstrata's ranking squashed to (0, 1); ``threshold`` applies
  only when given.
"""

from memstrata.compat.mem0.aio import AsyncMemory
from memstrata.compat.mem0.memory import Memory

__all__ = ["AsyncMemory", "Memory"]
