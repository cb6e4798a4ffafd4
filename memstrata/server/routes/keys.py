"""API keys (admin keys only): create, list, revoke."""

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends

from memstrata.server import schemas
from memstrata.server.keys import Principal, create_key
from memstrata.server.routes.paging import Limit, Offset, page
from memstrata.server.service import Service, admin_of
from memstrata.store.base import ApiKey
from memstrata.timeutil import now


def router(service: Service, principal: Callable[..., Principal]) -> APIRouter:
    Admin = Annotated[Principal, Depends(admin_of(principal))]
    store = service.memory.store
    routes = APIRouter(prefix="/v1/keys", tags=["keys"])

    @routes.post("", status_code=201)
    def make_key(body: schemas.KeyRequest, _: Admin) -> schemas.NewKey:
        """Create a key scoped to namespaces (``*``: all); its token is shown once."""
        key, token = service.write(
            lambda: create_key(
                store,
                body.name,
                body.namespaces,
                is_admin=body.is_admin,
                rate_per_minute=body.rate_per_minute,
            )
        )
        return schemas.NewKey(key=key_out(key), token=token)

    @routes.get("")
    def list_keys(_: Admin, limit: Limit = 100, offset: Offset = 0) -> schemas.Page[schemas.KeyOut]:
        return page([key_out(k) for k in store.keys.list()], offset, limit)

    @routes.delete("/{key_id}")
    def revoke_key(key_id: str, _: Admin) -> schemas.Count:
        """Revoke a key (1) or say it was not live (0)."""
        return schemas.Count(count=int(service.write(lambda: store.keys.revoke(key_id, now()))))

    return routes


def key_out(key: ApiKey) -> schemas.KeyOut:
    return schemas.KeyOut(
        id=key.id,
        name=key.name,
        namespaces=list(key.namespaces),
        is_admin=key.is_admin,
        rate_per_minute=key.rate_per_minute,
        created_at=key.created_at,
        revoked_at=key.revoked_at,
    )
