"""The operator panel: a single page served by the bridge itself, behind the same Basic auth.

Its files (``static/``) ship inside the package and are served as they are: no build step, no
other origin. Every answer carries a strict Content-Security-Policy: scripts, styles, images
and connections from the bridge's own origin only, no inline script, no framing.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from importlib import resources

from aiohttp import web
from aiohttp.typedefs import Handler

from bridge.api.credentials import authenticate
from bridge.api.errors import get_only
from bridge.errors import NotFound
from bridge.logs import route_var

PATH = "/panel/"
CONTENT_TYPES = {
    ".html": "text/html",
    ".js": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}
CSP = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # not no-referrer: a same-origin POST would then carry "Origin: null", a foreign origin
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-cache",
}


@functools.cache
def panel_files() -> dict[str, tuple[bytes, str]]:
    """``name -> (content, content type)`` of every file the panel serves (read once)."""
    files: dict[str, tuple[bytes, str]] = {}
    for entry in resources.files(__package__).joinpath("static").iterdir():
        suffix = entry.name[entry.name.rfind(".") :]
        if entry.is_file() and suffix in CONTENT_TYPES:
            files[entry.name] = (entry.read_bytes(), CONTENT_TYPES[suffix])
    return files


async def to_panel(request: web.Request) -> web.StreamResponse:
    route_var.set("panel")
    raise web.HTTPFound(PATH)


async def panel_file(request: web.Request) -> web.StreamResponse:
    route_var.set("panel")
    await authenticate(request)
    name = request.match_info["name"] or "index.html"
    found = panel_files().get(name)
    if found is None:
        raise NotFound(f"No panel file {name[:100]}", error_id="unknown-path")
    body, content_type = found
    response = web.Response(body=body, content_type=content_type, headers=HEADERS)
    if content_type.startswith("text/") or content_type.endswith("+xml"):
        response.charset = "utf-8"
    return response


def add_panel_routes(route: Callable[[str, Handler], None]) -> None:
    """``/`` and ``/panel`` redirect to ``/panel/``; ``/panel/{name}`` serves its files."""
    route("/", get_only(to_panel))
    route("/panel", get_only(to_panel))
    route("/panel/{name:[A-Za-z0-9._-]*}", get_only(panel_file))
