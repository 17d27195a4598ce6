"""Application assembly: ``create_app(settings)`` builds the app and does no I/O.

I/O resources are cleanup contexts, in order: the database, the directory snapshot, then the AMI
links (one per enabled core server, following the directory).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from bridge import migrate
from bridge.actions import ActionService
from bridge.allowances import SharedAllowances
from bridge.ami.links import LinkRegistry
from bridge.api.audit import PATH as AUDIT
from bridge.api.audit import read_audit
from bridge.api.clients import ClientPolicy, is_loopback
from bridge.api.cors import cors_middleware
from bridge.api.errors import answering, expecting, get_only, unknown_path
from bridge.api.event_stream import ACCOUNT_MESSAGE_BURST, ACCOUNT_MESSAGES_PER_SECOND, event_stream
from bridge.api.event_stream import PATH as EVENT_STREAM
from bridge.api.health import healthz
from bridge.api.me import PATH as ME
from bridge.api.me import me
from bridge.api.metrics import live_collector, metrics
from bridge.api.openapi import PATH as OPENAPI
from bridge.api.openapi import openapi_json
from bridge.api.routes import add_routes
from bridge.audit import AuditLog
from bridge.auth import Authenticator
from bridge.db import create_engine
from bridge.directory.service import DirectoryService
from bridge.directory.snapshot import EMPTY_SNAPSHOT
from bridge.event_bodies import originate_result
from bridge.events import EventHub
from bridge.idempotency import IdempotencyKeys
from bridge.keys import (
    access_log_key,
    actions_key,
    allowances_key,
    audit_key,
    authenticator_key,
    clients_key,
    directory_key,
    engine_key,
    hub_key,
    idempotency_key,
    links_key,
    live_key,
    metrics_key,
    settings_key,
)
from bridge.limits import FailedLogins, TokenBuckets
from bridge.live import LiveState
from bridge.logs import AccessLog
from bridge.metrics import Metrics
from bridge.originates import OriginateTracker
from bridge.panel import add_panel_routes
from bridge.settings import Settings

log = logging.getLogger(__name__)
PRUNE_SECONDS = 60.0
IDEMPOTENCY_LEASE = 30.0  # + the actions' own bound: a claim never answered is free after it


class SchemaNotReady(Exception):
    """The database is not migrated to the head revision."""


def create_app(settings: Settings) -> web.Application:
    metrics_registry = Metrics()
    access = AccessLog(settings.log.format == "json")
    middlewares: list[Middleware] = []
    if settings.http.cors_origins:
        middlewares.append(cors_middleware(settings.http.cors_origins))
    app = web.Application(middlewares=middlewares, client_max_size=settings.http.max_body_bytes)
    clients = ClientPolicy(
        settings.http.cors_origins,
        settings.http.trusted_proxies,
        settings.http.allowed_hosts,
        on_loopback=is_loopback(settings.http.host),
    )
    answered = answering(metrics_registry, access, clients)
    app[clients_key] = clients
    expect = expecting(answered)

    def route(path: str, handler: Handler) -> None:
        """Every method of ``path`` to ``handler``, answered and logged by the one wrapper."""
        app.router.add_route("*", path, answered(handler), expect_handler=expect)

    app[settings_key] = settings
    app[live_key] = LiveState()
    app[metrics_key] = metrics_registry
    app[access_log_key] = access

    async def flush_access_log(_app: web.Application) -> None:
        access.flush()

    app.on_cleanup.append(flush_access_log)
    if settings.metrics.enabled:
        route("/metrics", get_only(metrics))
        app[metrics_key].collectors.append(lambda: live_collector(app))
    app.cleanup_ctx.append(database_ctx)
    app.cleanup_ctx.append(directory_ctx)
    app.cleanup_ctx.append(audit_ctx)
    app.cleanup_ctx.append(ami_ctx)
    route("/healthz", get_only(healthz))
    route(OPENAPI, get_only(openapi_json))
    route(EVENT_STREAM, get_only(event_stream))
    route(AUDIT, get_only(read_audit))
    route(ME, get_only(me))
    route(ME + "/", get_only(me))  # a trailing slash is ignored, as everywhere under P
    add_routes(route)
    add_panel_routes(route)
    # last: whatever nothing else is (any character, line breaks too)
    route(r"/{tail:[\s\S]*}", unknown_path)
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
    engine = app[engine_key]
    directory = DirectoryService(engine, settings.database.change_poll_interval)
    limits = settings.limits
    # counted in the database, on writes that are not directory changes: one limit for every
    # process and host of one database
    allowances = SharedAllowances(
        directory.execute_quickly, directory.execute_sql_quickly, engine.dialect.name
    )
    idempotency = IdempotencyKeys(
        directory.execute_aside,
        engine.dialect.name,
        IDEMPOTENCY_LEASE + 3 * settings.ami.action_timeout,
    )
    authenticator = Authenticator(
        failed_logins=FailedLogins(
            allowances,
            (limits.failed_logins_per_minute / 60, limits.failed_logins_burst),
            (
                limits.failed_logins_per_address_per_minute / 60,
                limits.failed_logins_per_address_burst,
            ),
        )
    )
    await directory.start()
    app[directory_key] = directory
    app[authenticator_key] = authenticator
    app[allowances_key] = allowances
    app[idempotency_key] = idempotency
    pruning = asyncio.create_task(prune_forever(allowances, idempotency), name="prune-limits")
    try:
        yield
    finally:
        pruning.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pruning
        await allowances.close()
        await directory.stop()
        authenticator.close()


async def prune_forever(allowances: SharedAllowances, idempotency: IdempotencyKeys) -> None:
    """Full buckets and day-old keys go, once a minute (every process does it: it is cheap)."""
    while True:
        await asyncio.sleep(PRUNE_SECONDS)
        try:
            await allowances.prune()
            await idempotency.prune()
        except Exception as exc:
            log.warning("shared limits not pruned: %s", type(exc).__name__)


async def audit_ctx(app: web.Application) -> AsyncIterator[None]:
    audit = AuditLog(app[directory_key].write_aside)
    audit.start()
    app[audit_key] = audit
    try:
        yield
    finally:
        await audit.close()


async def ami_ctx(app: web.Application) -> AsyncIterator[None]:
    settings, live, directory = app[settings_key], app[live_key], app[directory_key]
    tracker = OriginateTracker(settings.ami.originate_timeout + 60)

    def extensions_of(core_server_id: str) -> list[tuple[str, str]]:
        index = directory.current.core_server(core_server_id)
        return [] if index is None else [(e.number, e.device) for e in index.extensions]

    links = LinkRegistry(
        settings,
        live,
        {"OriginateResponse": [tracker.on_response]},
        extensions_of,
        app[metrics_key].ami_action,
    )
    actions = ActionService(links, settings, live, tracker, app[allowances_key])
    app[links_key] = links
    app[actions_key] = actions
    client_messages = TokenBuckets(ACCOUNT_MESSAGES_PER_SECOND, ACCOUNT_MESSAGE_BURST)
    app[hub_key] = hub = EventHub(directory, live, client_messages)
    audit = app[audit_key]
    tracker.listeners.append(lambda r: audit.record_call_outcome(r.action_id, r.outcome, r.reason))
    tracker.listeners.append(lambda r: hub.publish(*originate_result(r)))

    async def close_streams(_app: web.Application) -> None:
        hub.close_all()

    app.on_shutdown.append(close_streams)
    directory.subscribe(links.follow)
    links.follow(EMPTY_SNAPSHOT, directory.current)
    try:
        yield
    finally:
        directory.unsubscribe(links.follow)
        await actions.close()
        await links.close()
