"""Extensions: ``CS/extensions``, ``USER/extensions``, EXT, ``EXT/callSegments`` and
``EXT/callSegments/{id}``."""

from __future__ import annotations

import functools
from collections.abc import Sequence

from aiohttp import web

from bridge import access
from bridge.action_values import segment_gone
from bridge.api.render import dumps, json_array, json_body, memoized, page, page_bounds
from bridge.api.resolve import Target
from bridge.directory import ExtensionEntry
from bridge.directory.snapshot import Snapshot
from bridge.keys import live_key
from bridge.live import ServerLive as ServerLiveState
from bridge.live.segments import segment, segments_of

_DND = {None: b"null", True: b"true", False: b"false"}


def extension_body(snapshot: Snapshot, extension: ExtensionEntry, live: ServerLiveState) -> bytes:
    """The seed's five keys (serialised once per snapshot), then the live ``dnd`` and
    ``deviceState``."""
    head = memoized(snapshot, ("extension-head", extension.id), lambda: _head(extension))
    return b"".join(
        (
            head,
            b',"dnd":',
            _DND[live.dnd_of(extension.number)],
            b',"deviceState":',
            _state_json(live.device_state_of(extension.device, extension.number)),
            b"}",
        )
    )


async def list_extensions(request: web.Request, target: Target) -> web.Response:
    assert target.server is not None
    index, account, user = target.server, target.account, target.user
    live = request.app[live_key].server(index.entry.id)
    bounds = page_bounds(request.query)
    candidates: Sequence[ExtensionEntry] = (
        index.extensions if user is None else index.extensions_by_user.get(user.id.lower(), ())
    )

    def build() -> bytes:
        visible = [e for e in candidates if e.licensed and access.can_view_extension(account, e)]
        return json_array([extension_body(target.snapshot, e, live) for e in page(visible, bounds)])

    key = ("extensions", index.entry.id, user and user.id, account.scope_key, bounds)
    return json_body(memoized(target.snapshot, key, build, live.version))


async def get_extension(request: web.Request, target: Target) -> web.Response:
    assert target.server is not None and target.extension is not None
    live = request.app[live_key].server(target.server.entry.id)
    return json_body(extension_body(target.snapshot, target.extension, live))


async def list_call_segments(request: web.Request, target: Target) -> web.Response:
    assert target.server is not None and target.extension is not None
    live = request.app[live_key].server(target.server.entry.id)
    segments = segments_of(target.extension, target.server, live)
    return json_body(dumps(list(page(segments, page_bounds(request.query)))))


async def get_call_segment(request: web.Request, target: Target) -> web.Response:
    assert target.server is not None and target.extension is not None
    if target.segment is None:  # not synced: no segment is known (the list is empty too)
        raise segment_gone(target.segment_id or "")
    live = request.app[live_key].server(target.server.entry.id)
    return json_body(dumps(segment(target.segment, target.server, live, target.extension)))


@functools.lru_cache(maxsize=256)
def _state_json(state: str) -> bytes:
    """A device state as JSON (a handful of values: serialised once each)."""
    return dumps(state)


def _head(extension: ExtensionEntry) -> bytes:
    full = dumps(
        {
            "id": extension.id,
            "extensionNumber": extension.number,
            "displayName": extension.display_name,
            "configurationId": extension.configuration_id,
            "permissionId": extension.permission_id,
        }
    )
    return full[:-1]  # without the closing brace: the live keys follow
