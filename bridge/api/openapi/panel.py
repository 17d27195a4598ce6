"""The operator panel's paths and ``P/me`` in the OpenAPI document."""

from __future__ import annotations

from typing import Any

from bridge.api.me import ACTIONS
from bridge.api.me import PATH as ME
from bridge.api.openapi import components as c
from bridge.api.openapi.schemas import BOOLEAN, NULLABLE_STRING, STRING, Schema, obj, ref
from bridge.panel import CONTENT_TYPES, CSP
from bridge.panel import PATH as PANEL

IDS: Schema = {"type": "array", "items": STRING}
SCHEMAS: dict[str, Schema] = {
    "Me": obj(
        {
            "id": STRING,
            "username": STRING,
            "admin": {**BOOLEAN, "description": "An admin sees and does everything."},
            "userId": {
                **NULLABLE_STRING,
                "description": "The directory user this account is linked to, if any.",
            },
            "rights": obj(
                {action: IDS for action in ACTIONS},
                "Per action, the permission ids the account holds it on (`all` grants "
                "included; `*` covers every object).",
            ),
            "ownExtensionIds": {
                **IDS,
                "description": "The linked user's extensions: the account views them and "
                "may act on them and on their agents, whatever its grants.",
            },
        },
        "The account a request speaks for and what it may do. An object is open to an "
        "action when the account is an admin, holds the action on the object's "
        "`permissionId` (an agent's is its queue's) or on `*`, or owns it.",
    ),
}
POLICY = {
    "Content-Security-Policy": {
        "required": True,
        "description": "A strict policy: everything from the bridge's own origin only, "
        "no inline script, no framing.",
        "schema": {"type": "string", "const": CSP},
    },
    **c.REQUEST_ID,
}
ERRORS = (401, 403, 404, 429)


def paths() -> dict[str, Any]:
    """``/``, ``/panel``, ``/panel/``, ``/panel/{file}`` and ``P/me``."""
    redirect = {
        "summary": "Redirects to the operator panel",
        "tags": ["service"],
        "security": [],
        "responses": {
            "302": {
                "description": "To `/panel/`.",
                "headers": {"Location": {"required": True, "schema": {"const": PANEL}}},
            },
            "403": ref("responses", c.ERRORS[403][0]),
        },
    }
    return {
        "/": {"get": {**redirect, "operationId": "getRoot"}},
        "/panel": {"get": {**redirect, "operationId": "getPanelRedirect"}},
        PANEL: {"get": _file("getPanel", "The operator panel's page", ("text/html",))},
        PANEL + "{file}": {
            "parameters": [
                {
                    "name": "file",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "pattern": "^[A-Za-z0-9._-]+$"},
                    "description": "A file of the panel (its scripts, styles, icon).",
                }
            ],
            "get": _file(
                "getPanelFile", "A file of the operator panel", tuple(set(CONTENT_TYPES.values()))
            ),
        },
        ME: {"get": me()},
    }


def me() -> dict[str, Any]:
    return {
        "operationId": "getMe",
        "summary": "The account of the credentials, and the rights a client offers actions by",
        "tags": ["service"],
        "responses": {
            "200": c.ok(ref("schemas", "Me"), "OK."),
            **{str(s): ref("responses", c.ERRORS[s][0]) for s in (401, 403, 429)},
        },
    }


def _file(operation_id: str, summary: str, types: tuple[str, ...]) -> dict[str, Any]:
    return {
        "operationId": operation_id,
        "summary": summary,
        "tags": ["service"],
        "responses": {
            "200": {
                "description": "The file, served as shipped in the package.",
                "headers": POLICY,
                "content": {t: {"schema": {"type": "string"}} for t in sorted(types)},
            },
            **{str(s): ref("responses", c.ERRORS[s][0]) for s in ERRORS},
        },
    }
