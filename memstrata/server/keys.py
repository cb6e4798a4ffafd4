"""API keys: made once (the secret is shown once), stored as a SHA-256 hash,
scoped to namespaces; the admin key of the settings manages them.

A key reads ``msk_<id>_<secret>``: the id finds the row, the secret is
compared with the stored hash in constant time."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from memstrata import validate
from memstrata.errors import InvalidInput
from memstrata.store.base import ApiKey, Store
from memstrata.timeutil import now

ALL = "*"
_TOKEN = re.compile(r"msk_([0-9a-f]{16})_([A-Za-z0-9_-]{20,100})")


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request is: a key's id, the namespaces it may touch, whether it is admin."""

    key_id: str
    namespaces: frozenset[str]
    is_admin: bool
    rate_per_minute: int | None

    def may(self, namespace: str) -> bool:
        return ALL in self.namespaces or namespace in self.namespaces


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(
    store: Store,
    name: str,
    namespaces: Sequence[str],
    *,
    is_admin: bool = False,
    rate_per_minute: int | None = None,
) -> tuple[ApiKey, str]:
    """A new key and its token (shown once: only its hash is kept)."""
    label = validate.text(name, "name", 200)
    scope = tuple(dict.fromkeys(n if n == ALL else validate.namespace(n) for n in namespaces))
    if not scope:
        raise InvalidInput("a key needs at least one namespace (or *)", field="namespaces")
    if rate_per_minute is not None and (
        not isinstance(rate_per_minute, int) or not 1 <= rate_per_minute <= 1_000_000
    ):
        raise InvalidInput("must be an integer from 1 to 1000000", field="rate_per_minute")
    key_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    key = ApiKey(key_id, label, scope, is_admin, rate_per_minute, now())
    store.keys.put(key, _hash(secret))
    return key, f"msk_{key_id}_{secret}"


def authenticate(store: Store, token: str, admin_key: str | None) -> Principal | None:
    """The principal a token stands for, or None (unknown, malformed or revoked)."""
    if admin_key is not None and hmac.compare_digest(token.encode(), admin_key.encode()):
        return Principal("admin", frozenset({ALL}), True, None)
    match = _TOKEN.fullmatch(token)
    if match is None:
        return None
    found = store.keys.get(match.group(1))
    if found is None:
        return None
    key, stored = found
    if key.revoked_at is not None or not hmac.compare_digest(_hash(match.group(2)), stored):
        return None
    return Principal(key.id, frozenset(key.namespaces), key.is_admin, key.rate_per_minute)
