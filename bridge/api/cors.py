"""CORS for browser dashboards: off unless ``[http] cors_origins`` lists origins.

The outermost middleware, so error answers carry the headers too. Only listed origins get
``Access-Control-Allow-Origin`` (never ``*``: answers need credentials); a preflight (``OPTIONS``
with ``Access-Control-Request-Method``) from one is answered 204 before routing, one from
anywhere else 403.
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from bridge.api.errors import error_response
from bridge.logs import escaped

ALLOWED_METHODS = "GET, POST, OPTIONS"
ALLOWED_HEADERS = "Authorization, Content-Type, Accept, X-Request-Id"
EXPOSED_HEADERS = "Retry-After, X-Request-Id, WWW-Authenticate"
MAX_AGE = "600"


def cors_middleware(origins: tuple[str, ...]) -> Middleware:
    allowed = frozenset(origins)

    @web.middleware
    async def cors(request: web.Request, handler: Handler) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        preflight = (
            request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers
        )
        if origin is None or origin not in allowed:
            if preflight and origin is not None:
                message = f"Origin {escaped(origin)[:100]} is not allowed"
                return error_response(403, "cors-refused", message, {})
            return await handler(request)
        if preflight:
            response: web.StreamResponse = web.Response(status=204)
            response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
            response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
            response.headers["Access-Control-Max-Age"] = MAX_AGE
        else:
            response = await handler(request)
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Credentials"] = "true"
        response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        response.headers["Vary"] = "Origin"
        return response

    return cors
