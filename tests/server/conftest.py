"""A REST app over a real SQLite file, with the admin key and helpers to make keys."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from memstrata.config import Settings
from memstrata.server.app import create_app
from memstrata.testing.pg import new_database
from tests.conftest import BACKENDS

ADMIN = "admin-key-for-tests-0123456789"


@dataclass
class Api:
    client: TestClient
    admin: dict[str, str]

    def key(
        self, *namespaces: str, rate: int | None = None, is_admin: bool = False
    ) -> dict[str, str]:
        body = {"name": "test", "namespaces": list(namespaces), "is_admin": is_admin}
        if rate is not None:
            body["rate_per_minute"] = rate
        made = self.client.post("/v1/keys", json=body, headers=self.admin)
        assert made.status_code == 201, made.text
        return {"Authorization": f"Bearer {made.json()['token']}"}


def make_settings(tmp_path: Path, path: str | None = None, **overrides: object) -> Settings:
    return Settings.load(
        {}, path=path or str(tmp_path / "api.db"), admin_key=ADMIN, embedder="hash", **overrides
    )


@pytest.fixture(params=BACKENDS)
def api(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Api]:
    path = None
    if request.param == "postgres":
        path = new_database(request.getfixturevalue("pg_server"))
    settings = make_settings(tmp_path, path, max_request_bytes=200_000)
    with TestClient(create_app(settings)) as client:
        yield Api(client, {"Authorization": f"Bearer {ADMIN}"})
