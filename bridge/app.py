"""Application assembly: ``create_app(settings)`` builds the app and does no I/O.

I/O resources are cleanup contexts, in order: the database, then the directory snapshot.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from bridge import migrate
from bridge.api.errors import error_middleware
from bridge.api.health import healthz
from bridge.api.routes import add_routes
from bridge.auth import Authenticator
from bridge.db import create_engine
from bridge.directory.service import DirectoryService
from bridge.keys import authenticator_key, directory_key, engine_key, live_key, settings_key
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
    app.router.add_get("/healthz", healthz)
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
