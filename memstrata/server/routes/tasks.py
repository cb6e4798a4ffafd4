"""Working memory: tasks, their subgoals and steps, and a task's context."""

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends

from memstrata.model import Episode, Note, Task
from memstrata.server import schemas
from memstrata.server.routes.paging import Limit, Offset, page, reach
from memstrata.server.service import Service


def router(service: Service, scoped: Callable[..., str]) -> APIRouter:
    Ns = Annotated[str, Depends(scoped)]
    memory = service.memory
    routes = APIRouter(tags=["working memory"])

    @routes.post("/tasks", status_code=201)
    def open_task(ns: Ns, body: schemas.TitleRequest) -> Task:
        return service.write(lambda: memory.open_task(body.title, namespace=ns))

    @routes.get("/tasks")
    def tasks(
        ns: Ns, open_only: bool = True, limit: Limit = 20, offset: Offset = 0
    ) -> schemas.Page[Task]:
        found = memory.tasks(open_only=open_only, limit=reach(offset, limit), namespace=ns)
        return page(found, offset, limit)

    @routes.get("/tasks/{task_id}")
    def task(ns: Ns, task_id: str) -> Task:
        return memory.task(task_id, namespace=ns)

    @routes.post("/tasks/{task_id}/subgoals", status_code=201)
    def open_subgoal(ns: Ns, task_id: str, body: schemas.TitleRequest) -> Task:
        return service.write(lambda: memory.open_subgoal(task_id, body.title, namespace=ns))

    @routes.post("/tasks/{task_id}/steps", status_code=201)
    def step(ns: Ns, task_id: str, body: schemas.StepRequest) -> Episode:
        return service.write(
            lambda: memory.step(task_id, body.content, kind=body.kind, namespace=ns)
        )

    @routes.post("/tasks/{task_id}/close-subgoal")
    def close_subgoal(ns: Ns, task_id: str, body: schemas.SummaryRequest) -> Note:
        return service.write(
            lambda: memory.close_subgoal(task_id, summary=body.summary, namespace=ns)
        )

    @routes.post("/tasks/{task_id}/close")
    def close_task(ns: Ns, task_id: str, body: schemas.SummaryRequest) -> Note:
        return service.write(lambda: memory.close_task(task_id, summary=body.summary, namespace=ns))

    @routes.get("/tasks/{task_id}/context")
    def working_context(ns: Ns, task_id: str, token_budget: Limit = 1000) -> schemas.Text:
        return schemas.Text(
            text=memory.working_context(task_id, token_budget=token_budget, namespace=ns)
        )

    return routes
