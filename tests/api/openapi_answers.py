"""Checking one live answer against the OpenAPI document: the status is one the operation
lists (or, for no operation, 404/405), its headers and body match, and an error's id is one the
answer's description names."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aiohttp.test_utils import TestClient
from jsonschema import Draft202012Validator

from bridge.api.openapi import document
from tests.support import basic
from tests.world import PASSWORDS, World

DOC = document()
JSON_SCHEMA = "application/json"


def happy_values(world: World) -> dict[str, str]:
    """Path parameters naming alice's licensed extension 100, reachable in every form."""
    return {
        "coreServerId": world.cs,
        "coreServerSlug": "default",
        "userId": world.users["alice"],
        "username": "alice",
        "extensionId": world.ext["100"],
        "extensionNumber": "100",
        "queueId": world.queues["support"],
        "queueIdentifier": "support",
        "agentId": world.agents["alice"],
        "segmentId": "1795991710.1",  # no such call: a hangup or transfer of it is 404
    }


async def answers_as_documented(
    client: TestClient[Any, Any],
    method: str,
    url: str,
    template: str | None,
    account: str | None = "admin",
    headers: Mapping[str, str] | None = None,
    **kwargs: Any,
) -> int:
    """Send a request; assert its answer is one the document gives for ``template`` and
    ``method`` (None: the answers of no operation, 404 and 405), with that status's headers
    and body schema. The status, for the caller to check."""
    sent = dict(headers or {})
    if account is not None:
        sent.update(basic(account, PASSWORDS[account]))
    async with client.request(method, url, headers=sent, **kwargs) as response:
        raw = await response.read()
        status, answer_headers = response.status, response.headers
    documented = documented_response(method, template, status)
    assert documented is not None, f"{method} {url}: {status} is not documented: {raw[:300]!r}"
    for name, header in documented.get("headers", {}).items():
        header = dereference(header)
        if header.get("required"):
            assert name in answer_headers, (method, url, status, name)
        if name in answer_headers:
            value: Any = answer_headers[name]
            if header["schema"].get("type") == "integer":
                value = int(value)
            assert_valid(header["schema"], value)
    content = documented.get("content")
    if content is None:
        assert raw == b"", (method, url, status)
    elif JSON_SCHEMA not in content:  # /metrics, the panel's files
        assert answer_headers["Content-Type"].partition(";")[0] in content
    else:
        assert answer_headers["Content-Type"].startswith(JSON_SCHEMA)
        body = json.loads(raw)
        assert_valid(content[JSON_SCHEMA]["schema"], body)
        if status >= 400:  # the error id is one the answer's description lists
            assert f"`{body['error']}`" in documented["description"], (status, body)
    return status


def documented_response(method: str, template: str | None, status: int) -> dict[str, Any] | None:
    if template is None:
        name = {404: "NotFound", 405: "MethodNotAllowed"}.get(status)
        return None if name is None else DOC["components"]["responses"][name]
    operation = DOC["paths"][template.partition("?")[0]][method.lower()]
    response = operation["responses"].get(str(status))
    return None if response is None else dereference(response)


def dereference(node: dict[str, Any]) -> dict[str, Any]:
    """The object a ``{"$ref": "#/..."}`` names (followed until it is not a reference)."""
    while "$ref" in node:
        pointer, node = str(node["$ref"]).removeprefix("#/"), DOC
        for part in pointer.split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def assert_valid(schema: dict[str, Any], value: Any) -> None:
    """Validate with the document's components in reach of ``#/components/...`` references."""
    rooted = {**schema, "components": DOC["components"]}
    validator = Draft202012Validator(rooted, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(value)]
    assert not errors, (errors, value)
