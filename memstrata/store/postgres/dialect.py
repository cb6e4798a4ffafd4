"""The store's SQL is written once, in SQLite's dialect (store/sqlite/); this
module rewrites each statement for PostgreSQL, once per statement text.

What differs and how it is rewritten:

- ``?`` placeholders become ``%s``;
- ``INSERT OR IGNORE`` becomes ``INSERT ... ON CONFLICT DO NOTHING``, and
  ``INSERT OR REPLACE`` an upsert on the table's key (KEYS);
- ``json_group_array(x)`` becomes ``coalesce(json_agg(x), '[]')::text`` (the
  same JSON text), ``json_extract(col, '$.k')`` becomes ``(col::jsonb ->> 'k')``
  and ``json_each(col)`` ``jsonb_each(col::jsonb)``;
- an empty list ``IN ()`` (valid in SQLite) becomes ``IN (NULL)`` (matches nothing);
- SQLite planner hints (``+column``, ``INDEXED BY``) are dropped; ``rowid`` is
  a real identity column in the tables whose order the queries use.
"""

from __future__ import annotations

import re
from functools import lru_cache

KEYS: dict[str, tuple[str, ...]] = {
    "meta": ("key",),
    "vectors": ("seq",),
    "extracted": ("seq",),
    "strength": ("record_kind", "record_id"),
    "summaries": ("summary_id",),
    "policies": ("namespace",),
    "events": ("event_id",),
    "event_episodes": ("seq",),
}
_INSERT = re.compile(r"^\s*INSERT OR (IGNORE|REPLACE) INTO (\w+)\s*\(([^)]*)\)", re.S)
_RETURNING = re.compile(r"\sRETURNING\s", re.I)


@lru_cache(maxsize=4096)
def to_postgres(sql: str) -> str:
    """The PostgreSQL form of one SQLite statement of the store."""
    if "%" in sql:
        raise ValueError(f"a literal % would need escaping: {sql[:80]}")
    out = sql.replace("INDEXED BY episodes_by_session", "").replace("IN ()", "IN (NULL)")
    out = re.sub(r"\+(e\.)?namespace\b", r"\1namespace", out)
    out = re.sub(r"json_group_array\(([^()]*)\)", r"coalesce(json_agg(\1), '[]')::text", out)
    out = re.sub(r"json_extract\(([\w.]+), '\$\.(\w+)'\)", r"(\1::jsonb ->> '\2')", out)
    out = re.sub(r"json_each\(([\w.]+)\)", r"jsonb_each(\1::jsonb)", out)
    match = _INSERT.match(out)
    if match is not None:
        kind, table, columns = match.groups()
        out = f"INSERT INTO {table}({columns}){out[match.end() :]}"
        if kind == "IGNORE":
            clause = " ON CONFLICT DO NOTHING"
        else:
            key = KEYS[table]
            names = [c.strip() for c in columns.split(",")]
            sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in names if c not in key)
            clause = f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET {sets}"
        returning = _RETURNING.search(out)
        if returning is None:
            out = out.rstrip() + clause
        else:
            out = out[: returning.start()] + clause + out[returning.start() :]
    return out.replace("?", "%s")
