"""JSON over HTTP for OpenAI-compatible providers: retries, backoff, typed errors."""

from __future__ import annotations

import time
from typing import Any

import httpx

from memstrata.errors import BadProviderOutput, ProviderUnavailable

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


def make_client(
    base_url: str,
    api_key: str | None,
    timeout_s: float,
    transport: httpx.BaseTransport | None = None,
) -> httpx.Client:
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    return httpx.Client(
        base_url=base_url.rstrip("/"), headers=headers, timeout=timeout_s, transport=transport
    )


def post_json(
    client: httpx.Client,
    path: str,
    payload: dict[str, Any],
    *,
    retries: int = 3,
    backoff_s: float = 0.5,
    what: str = "provider",
) -> dict[str, Any]:
    """POST ``payload``; retry timeouts, connection errors, 429 and 5xx with backoff.

    Raises ProviderUnavailable when every try failed or the answer is another
    error status, BadProviderOutput when the body is not a JSON object.
    """
    for attempt in range(retries):
        last = attempt == retries - 1
        try:
            response = client.post(path, json=payload)
        except httpx.HTTPError as exc:
            if last:
                raise ProviderUnavailable(f"{what} unreachable: {exc}") from exc
        else:
            if response.status_code not in RETRY_STATUS:
                break
            if last:
                raise ProviderUnavailable(
                    f"{what} answered {response.status_code} after {retries} tries"
                )
        time.sleep(backoff_s * 2**attempt)
    if response.status_code >= 400:
        raise ProviderUnavailable(f"{what} answered {response.status_code}: {response.text[:200]}")
    try:
        body = response.json()
    except ValueError as exc:
        raise BadProviderOutput(f"{what} answered with no JSON: {response.text[:200]!r}") from exc
    if not isinstance(body, dict):
        raise BadProviderOutput(f"{what} answered with {type(body).__name__}, not an object")
    return body
