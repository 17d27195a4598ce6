"""Application assembly: ``create_app(settings)`` builds the app and does no I/O.

I/O resources are cleanup contexts, in order: the database, the directory snapshot, then the AMI
links (one per enabled core server, following the directory).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from bridge import migrate
from bridge.actions import ActionService, OriginateTracker
from bridge.ami.links import LinkRegistry
from bridge.api.errors import error_middleware
from bridge.api.event_stream import PATH as EVENT_STREAM
from bridge.api.event_stream import event_stream
from bridge.api.health import healthz
from bridge.api.openapi import PATH as OPENAPI
from bridge.api.openapi import openapi_json
from bridge.api.routes import add_routes
from bridge.auth import Authenticator
from bridge.db import create_engine
from bridge.directory.service import DirectoryService
from bridge.directory.snapshot import EMPTY_SNAPSHOT
from bridge.events import EventHub
from bridge.keys import (
    actions_key,
    authenticator_key,
    directory_key,
    engine_key,
    hub_key,
    links_key,
    live_key,
    settings_key,
)
from bridge.live import LiveState
from bridge.settings import Settings


class SchemaNotReady(Exception):
    """The database is not migrated to the head revision."""


def create_app(settings: Settings) -> web.Application:
    app = web.Application(
        middlewares=[error_middleware], client_max_size=settings.http.max_body_bytes
    )
    app[settings_key] = settings
    app[live_key] = LiveState()
    app.cleanup_ctx.append(database_ctx)
    app.cleanup_ctx.append(directory_ctx)
    app.cleanup_ctx.append(ami_ctx)
    app.router.add_get("/healthz", healthz)
    app.router.add_get(OPENAPI, openapi_json)
    app.router.add_get(EVENT_STREAM, event_stream)
    add_routes(app)
    return app


async def database_ctx(app: web.Application) -> AsyncIterator[None]:
    engine = create_engine(app[settings_key].database.url)
    try:
        current = await migrate.current_revision(engine)
        head = migrate.head_revision()
        if current != head:
            raise SchemaNotReady(
                f"the database is at revision {current or 'none'}, not {head}: "
                "run `bridge db upgrade` first"
            )
        app[engine_key] = engine
        yield
    finally:
        await engine.dispose()


async def directory_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[settings_key]
    directory = DirectoryService(app[engine_key], settings.database.change_poll_interval)
    authenticator = Authenticator()
    await directory.start()
    app[directory_key] = directory
    app[authenticator_key] = authenticator
    try:
        yield
    finally:
        await directory.stop()
        authenticator.close()


async def ami_ctx(app: web.Application) -> AsyncIterator[None]:
    settings, live, directory = app[settings_key], app[live_key], app[directory_key]
    tracker = OriginateTracker(settings.ami.originate_timeout + 60)

    def numbers_of(core_server_id: str) -> list[str]:
        index = directory.current.core_server(core_server_id)
        return [] if index is None else [e.number for e in index.extensions]

    links = LinkRegistry(settings, live, {"OriginateResponse": [tracker.on_response]}, numbers_of)
    actions = ActionService(links, settings, live, tracker)
    app[links_key] = links
    app[actions_key] = actions
    app[hub_key] = EventHub(directory, live)
    directory.subscribe(links.follow)
    links.follow(EMPTY_SNAPSHOT, directory.current)
    try:
        yield
    finally:
        directory.unsubscribe(links.follow)
        await actions.close()
        await links.close()
