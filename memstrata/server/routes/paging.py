"""Pages of records: the limit and offset every listing route takes."""

from collections.abc import Sequence
from typing import Annotated, TypeVar

from fastapi import Query

from memstrata.server import schemas

T = TypeVar("T")
MAX_PAGE = 1000
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]


def page(items: Sequence[T], offset: int, limit: int) -> schemas.Page[T]:
    chunk = list(items[offset : offset + limit])
    more = len(items) > offset + limit
    return schemas.Page[T](items=chunk, next_offset=offset + limit if more else None)


def reach(offset: int, limit: int) -> int:
    """How many records to read for a page: through it, plus one that says more
    follow; the engine reads at most MAX_PAGE (so do notes)."""
    return min(offset + limit + 1, MAX_PAGE)
