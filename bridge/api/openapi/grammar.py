"""Every concrete path template the URL grammar of :mod:`bridge.api.routes` accepts.

OpenAPI has no alternation inside a path, and a parameter standing for "``{id}`` or
``getByName/{name}``" would have to hold a slash (which clients percent-encode, and the bridge
then reads as part of an id). So :func:`templates` walks ``COLLECTIONS``, ``SINGLE``, ``NAMED``
and ``ENDPOINTS`` and lists each form as its own path: ``{id}`` and ``getByName/{name}`` for
every named object, ``users``/``user``, ``agents``/``agent``, and the ``AGENT/extension``
parent of an extension (215 paths today). A route added to the grammar shows up here by itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from bridge.api.resolve import Kind
from bridge.api.routes import (
    COLLECTIONS,
    ENDPOINTS,
    LIST,
    NAMED,
    ONE,
    PREFIX,
    SINGLE,
    SUB_RESOURCES,
)

# The path parameter of each kind's ``{id}`` form and (NAMED kinds) ``getByName/{name}`` form.
ID_PARAMETERS = {
    Kind.CORE_SERVER: "coreServerId",
    Kind.USER: "userId",
    Kind.EXTENSION: "extensionId",
    Kind.QUEUE: "queueId",
    Kind.AGENT: "agentId",
    Kind.CALL_SEGMENT: "segmentId",
}
NAME_PARAMETERS = {
    Kind.CORE_SERVER: ("coreServerSlug", "the core server's slug"),
    Kind.USER: ("username", "the user's username"),
    Kind.EXTENSION: ("extensionNumber", "the extension's number"),
    Kind.QUEUE: ("queueIdentifier", "the queue's identifier (its Asterisk name)"),
}


@dataclass(frozen=True, slots=True)
class Template:
    """One concrete path template: its segments after PREFIX (``{name}`` for a parameter) and
    the endpoint (a key of ``ENDPOINTS``) it names."""

    segments: tuple[str, ...]
    endpoint: tuple[Kind, str]

    @property
    def path(self) -> str:
        return "/".join((PREFIX, *self.segments))

    @property
    def parameters(self) -> list[str]:
        return [s[1:-1] for s in self.segments if s.startswith("{")]


def templates() -> list[Template]:
    """Every path template the grammar accepts, in a stable order."""
    return list(_walk(None, ()))


def _walk(kind: Kind | None, segments: tuple[str, ...]) -> Iterator[Template]:
    for word, child in COLLECTIONS.get(kind, {}).items():
        listed = (*segments, word)
        if (child, LIST) in ENDPOINTS:
            yield Template(listed, (child, LIST))
        yield from _instance(child, (*listed, f"{{{ID_PARAMETERS[child]}}}"))
        if child in NAMED:
            name, _ = NAME_PARAMETERS[child]
            yield from _instance(child, (*listed, "getByName", f"{{{name}}}"))
    if kind is not None:
        for word, child in SINGLE.get(kind, {}).items():
            yield from _instance(child, (*segments, word))


def _instance(kind: Kind, segments: tuple[str, ...]) -> Iterator[Template]:
    if (kind, ONE) in ENDPOINTS:
        yield Template(segments, (kind, ONE))
    for what in sorted(SUB_RESOURCES[kind]):
        yield Template((*segments, what), (kind, what))
    yield from _walk(kind, segments)


def path_parameters() -> dict[str, dict[str, Any]]:
    """``components.parameters`` entries of the path parameters."""
    described = [
        (name, f"the {kind.replace('_', ' ')}'s id") for kind, name in ID_PARAMETERS.items()
    ]
    return {
        name: {
            "name": name,
            "in": "path",
            "required": True,
            "description": f"{description[0].upper()}{description[1:]} (percent-encode a `/`).",
            "schema": {"type": "string", "minLength": 1},
        }
        for name, description in [*described, *NAME_PARAMETERS.values()]
    }
