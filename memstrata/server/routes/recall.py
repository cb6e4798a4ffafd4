"""Recall: search, context blocks and answers."""

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends

from memstrata.model import Answer, Context, Hit
from memstrata.server import schemas
from memstrata.server.service import Service


def router(service: Service, scoped: Callable[..., str]) -> APIRouter:
    Ns = Annotated[str, Depends(scoped)]
    memory = service.memory
    routes = APIRouter(tags=["recall"])

    @routes.post("/search")
    def search(ns: Ns, body: schemas.SearchRequest) -> list[Hit]:
        return memory.search(
            body.query,
            namespace=ns,
            limit=body.limit,
            filters=body.filters(),
            now=body.now,
            within=body.within,
        )

    @routes.post("/context")
    def context(ns: Ns, body: schemas.ContextRequest) -> Context:
        return memory.context(
            body.query,
            token_budget=body.token_budget,
            namespace=ns,
            now=body.now,
            filters=body.filters(),
            tokenizer=body.tokenizer,
        )

    @routes.post("/answer")
    def answer(ns: Ns, body: schemas.AnswerRequest) -> Answer:
        return memory.answer(body.query, token_budget=body.token_budget, namespace=ns, now=body.now)

    return routes
