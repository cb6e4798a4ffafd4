"""CLI commands of the service faces: serve (REST), mcp, and keys.

Registered on the main app when memstrata.cli.main is imported."""

from __future__ import annotations

from typing import Annotated

import typer

from memstrata.cli.common import JsonFlag, app, memory_of, out
from memstrata.cli.render import print_json

keys_app = typer.Typer(help="API keys of the REST service (stored hashed).")
app.add_typer(keys_app, name="keys")


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option(help="server processes")] = 1,
) -> None:
    """The REST API (/v1, OpenAPI at /openapi.json) over the store; needs the
    'server' extra. Keys: MEMSTRATA_ADMIN_KEY, then `memstrata keys create`."""
    import os

    import uvicorn

    for name, value in ctx.obj.items():  # the worker processes read MEMSTRATA_*
        if value is not None:
            os.environ[f"MEMSTRATA_{name.upper()}"] = str(value)
    uvicorn.run(
        "memstrata.server.app:factory",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
    )


@app.command("mcp")
def mcp_server(
    ctx: typer.Context,
    transport: Annotated[str, typer.Option(help="stdio or http")] = "stdio",
    host: Annotated[str, typer.Option(help="interface (http)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port (http)")] = 8001,
    tools: Annotated[
        str, typer.Option(help="memory (memstrata's tools) or graph (the reference server's)")
    ] = "memory",
) -> None:
    """The MCP server for the namespace, over stdio or streamable HTTP at /mcp;
    needs the 'mcp' extra. Tools: remember, recall, context, get_profile, facts,
    forget, consolidate, and task_* for working memory; with --tools graph, the
    reference memory server's instead (create_entities, create_relations,
    add_observations, delete_entities, delete_observations, delete_relations,
    read_graph, search_nodes, open_nodes), kept in memstrata."""
    from memstrata.errors import InvalidInput
    from memstrata.mcp.server import TOOL_SETS, build_server
    from memstrata.validate import choice

    if transport not in ("stdio", "http"):
        raise InvalidInput("must be stdio or http", field="--transport")
    chosen = choice(tools, TOOL_SETS, "--tools")
    with memory_of(ctx, create=True) as memory:
        server = build_server(memory, tools="graph" if chosen == "graph" else "memory")
        if transport == "stdio":
            server.run("stdio")
        else:
            server.run("streamable-http", host=host, port=port)


@keys_app.command("create")
def keys_create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="who or what the key is for")],
    namespace: Annotated[
        list[str], typer.Option("--namespace", help="a namespace it may touch (* for all)")
    ],
    admin: Annotated[bool, typer.Option("--admin", help="may manage keys")] = False,
    rate: Annotated[int | None, typer.Option(help="requests per minute")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create a key; its token is printed once (only its hash is stored)."""
    from memstrata.server.keys import create_key

    with memory_of(ctx, create=True) as memory:
        key, token = create_key(memory.store, name, namespace, is_admin=admin, rate_per_minute=rate)
    if as_json:
        print_json(out, {"key": key, "token": token})
    else:
        out.print(f"{key.id} ({', '.join(key.namespaces)}): {token}", markup=False)


@keys_app.command("list")
def keys_list(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Every key, revoked ones too (never their secrets)."""
    with memory_of(ctx) as memory:
        found = memory.store.keys.list()
    if as_json:
        print_json(out, found)
        return
    for key in found:
        state = "revoked" if key.revoked_at else ("admin" if key.is_admin else "live")
        out.print(f"{key.id} {key.name} [{', '.join(key.namespaces)}] {state}", markup=False)


@keys_app.command("revoke")
def keys_revoke(
    ctx: typer.Context, key_id: Annotated[str, typer.Argument(help="the key's id")]
) -> None:
    """Revoke a key: its token stops working at once."""
    from memstrata.errors import NotFound
    from memstrata.timeutil import now

    with memory_of(ctx) as memory:
        if not memory.store.keys.revoke(key_id, now()):
            raise NotFound("live key", key_id)
    out.print(f"revoked {key_id}")
