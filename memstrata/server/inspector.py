"""The web inspector: one static page (timeline, graph, search) that reads the
REST API with the key its user types. Served without a key (it holds no data),
under a content security policy that lets it load only itself and talk only
to this origin."""

from __future__ import annotations

from importlib import resources

from fastapi import FastAPI
from fastapi.responses import Response

FILES = {
    "/inspector": ("inspector.html", "text/html; charset=utf-8"),
    "/inspector.js": ("inspector.js", "text/javascript; charset=utf-8"),
    "/inspector.css": ("inspector.css", "text/css; charset=utf-8"),
}
POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def add_inspector(app: FastAPI) -> None:
    """Serve the inspector's three files (kept out of the OpenAPI spec)."""
    folder = resources.files("memstrata.server") / "static"
    for path, (name, media_type) in FILES.items():
        body = (folder / name).read_bytes()

        def serve(body: bytes = body, media_type: str = media_type) -> Response:
            return Response(
                body,
                media_type=media_type,
                headers={
                    "Content-Security-Policy": POLICY,
                    "X-Content-Type-Options": "nosniff",
                    "Referrer-Policy": "no-referrer",
                    "Cache-Control": "no-cache",
                },
            )

        app.add_api_route(path, serve, methods=["GET"], include_in_schema=False)
