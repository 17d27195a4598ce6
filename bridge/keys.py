"""Typed application keys, declared together."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bridge.actions import ActionService
from bridge.allowances import SharedAllowances
from bridge.ami.links import LinkRegistry
from bridge.api.clients import ClientPolicy
from bridge.audit import AuditLog
from bridge.auth import Authenticator
from bridge.directory.service import DirectoryService
from bridge.events import EventHub
from bridge.idempotency import IdempotencyKeys
from bridge.live import LiveState
from bridge.logs import AccessLog
from bridge.metrics import Metrics
from bridge.settings import Settings

settings_key = web.AppKey("settings", Settings)
engine_key = web.AppKey("engine", AsyncEngine)
directory_key = web.AppKey("directory", DirectoryService)
authenticator_key = web.AppKey("authenticator", Authenticator)
live_key = web.AppKey("live", LiveState)
links_key = web.AppKey("links", LinkRegistry)
hub_key = web.AppKey("hub", EventHub)
audit_key = web.AppKey("audit", AuditLog)
metrics_key = web.AppKey("metrics", Metrics)
actions_key = web.AppKey("actions", ActionService)
clients_key = web.AppKey("clients", ClientPolicy)
access_log_key = web.AppKey("access_log", AccessLog)
allowances_key = web.AppKey("allowances", SharedAllowances)
idempotency_key = web.AppKey("idempotency", IdempotencyKeys)
