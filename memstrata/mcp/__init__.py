"""The MCP server: `memstrata mcp`. Needs the 'mcp' extra."""
