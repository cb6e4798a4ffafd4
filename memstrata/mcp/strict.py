"""The MCP server memstrata's tool sets run on: tools that refuse arguments
they do not declare, and answers as JSON or tool errors that name the field."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from memstrata.cli.render import to_jsonable
from memstrata.errors import MemstrataError, MissingDependency

try:
    from mcp.server.mcpserver import Context, MCPServer
    from mcp.server.mcpserver.exceptions import ToolError
    from mcp.types import CallToolResult, InputRequiredResult
    from mcp.types import Tool as ToolInfo
except ImportError as exc:  # pragma: no cover - depends on the extra
    raise MissingDependency("mcp", "mcp") from exc

__all__ = ["MCPServer", "StrictServer", "ToolError", "guarded"]


def _json(value: Any) -> str:
    return json.dumps(to_jsonable(value), ensure_ascii=False)


def guarded(call: Callable[[], Any]) -> str:
    """The result as JSON; a memstrata error becomes a tool error the agent reads:
    its code, message and field."""
    try:
        return _json(call())
    except MemstrataError as exc:
        field = getattr(exc, "field", None)
        where = f" (field {field})" if field else ""
        raise ToolError(f"{exc.code}: {exc}{where}") from exc


class StrictServer(MCPServer[Any]):
    """An MCPServer whose tools refuse arguments they do not declare (the SDK drops
    them silently, so a misspelt ``limt`` would run with the default) and publish
    that rule in their input schemas."""

    async def list_tools(self) -> list[ToolInfo]:
        closed = {"additionalProperties": False}
        return [
            tool.model_copy(update={"input_schema": {**tool.input_schema, **closed}})
            for tool in await super().list_tools()
        ]

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        tool = next((t for t in await super().list_tools() if t.name == name), None)
        declared = set(tool.input_schema.get("properties", {})) if tool is not None else set()
        unknown = sorted(set(arguments) - declared) if tool is not None else []
        if unknown:
            takes = ", ".join(sorted(declared)) or "no arguments"
            raise ToolError(
                f"invalid_input: {name} takes {takes}; unknown argument "
                f"{unknown[0]!r} (field {unknown[0]})"
            )
        return await super().call_tool(name, arguments, context)
