"""Fuzzing the REST API from its own OpenAPI spec (schemathesis): whatever the
generated requests hold, the server answers with a typed error, never a 5xx."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings

from memstrata.server.app import create_app
from tests.server.conftest import ADMIN, make_settings

EXAMPLES = 6  # per operation: bounded, so CI stays fast


def test_no_operation_answers_a_server_error(tmp_path: Path) -> None:
    config = make_settings(tmp_path)
    app = create_app(config)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    headers = {"Authorization": f"Bearer {ADMIN}"}
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 35
    for operation in operations:

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def probe(case: schemathesis.Case[Any]) -> None:
            response = case.call(headers=headers)
            if response.status_code >= 500:
                where = f"{case.method} {case.formatted_path}"
                failures.append(f"{where} -> {response.status_code}: {response.text[:300]}")

        probe()
    assert failures == []
