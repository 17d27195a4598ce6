"""Fixtures of the panel's tests: ``bridge demo``'s world (its seeded database and simulated
PBX) behind the real app on a real port, and Debian's Chromium driven by Playwright.

Browser tests skip where ``/usr/bin/chromium`` (or ``BRIDGE_CHROMIUM``) is absent, unless
``BRIDGE_REQUIRE_CHROMIUM=1`` (CI) makes that a failure. Playwright never downloads a browser
here: it launches the system's.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from playwright.async_api import Browser, async_playwright, expect
from sqlalchemy.ext.asyncio import AsyncEngine

from bridge import demo
from bridge.app import create_app
from bridge.db import create_engine
from bridge.pbxsim import SimulatedPbx
from bridge.settings import Settings
from tests.conftest import BridgeTestServer
from tests.support import P, Seed, basic, poll_until

CHROMIUM = os.environ.get("BRIDGE_CHROMIUM", "/usr/bin/chromium")
REQUIRE_CHROMIUM = os.environ.get("BRIDGE_REQUIRE_CHROMIUM") == "1"
MANAGER = {"username": demo.ACCOUNT, "password": demo.PASSWORD}
CS = f"{P}/coreServers/{demo.CORE_SERVER}"
# room for a busy machine (CI shares its cores): every expect waits up to this long
expect.set_options(timeout=15_000)


@dataclass
class DemoPanel:
    """The demo's world behind a running bridge."""

    base: str
    pbx: SimulatedPbx
    seed: Seed
    http: aiohttp.ClientSession
    app: web.Application

    async def get(self, path: str, account: dict[str, str] = MANAGER) -> Any:
        headers = basic(account["username"], account["password"])
        async with self.http.get(self.base + path, headers=headers) as response:
            assert response.status == 200, await response.text()
            return await response.json()

    async def account(self, username: str, password: str, **values: Any) -> str:
        return await self.seed.account(username, password, **values)

    async def sees(self, account: dict[str, str], extensions: int) -> None:
        """Wait until the bridge's directory shows ``account`` that many extensions (admin SQL
        shows within a second)."""
        headers = basic(account["username"], account["password"])

        async def seen() -> bool:
            async with self.http.get(f"{self.base}{CS}/extensions", headers=headers) as response:
                return response.status == 200 and len(await response.json()) == extensions

        async with asyncio.timeout(10):
            await poll_until(seen, 0.05)

    async def sees_queue(self, account: dict[str, str], queue_id: str) -> None:
        """Wait until the bridge's directory lets ``account`` view that queue."""
        headers = basic(account["username"], account["password"])

        async def seen() -> bool:
            async with self.http.get(f"{self.base}{CS}/queues/{queue_id}", headers=headers) as r:
                return r.status == 200

        async with asyncio.timeout(10):
            await poll_until(seen, 0.05)


async def start_bridge_on(url: str) -> BridgeTestServer:
    settings = Settings().replace(database={"url": url}, http={"port": 0})
    server = BridgeTestServer(create_app(settings))
    await server.start_server()
    return server


@pytest.fixture
async def demo_engine(tmp_path: Path) -> AsyncIterator[tuple[str, AsyncEngine]]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
    engine = create_engine(url)
    try:
        yield url, engine
    finally:
        await engine.dispose()


@pytest.fixture
async def demo_panel(demo_engine: tuple[str, AsyncEngine]) -> AsyncIterator[DemoPanel]:
    """``bridge demo``'s seeded directory and simulated PBX, served on a real port, its AMI link
    up and synced."""
    url, engine = demo_engine
    pbx_config = demo.demo_pbx_config()
    # an originated call lasts until the test ends it (pbx.end_wait)
    async with SimulatedPbx(
        "bridge", demo.AMI_SECRET, config=pbx_config, call_duration=None
    ) as pbx:
        await demo.seed_demo(url, pbx.port)
        server = await start_bridge_on(url)
        try:
            async with aiohttp.ClientSession() as http:
                base = str(server.make_url("")).rstrip("/")
                panel = DemoPanel(base, pbx, Seed(engine), http, server.app)

                async def synced() -> bool:
                    extensions = await panel.get(f"{CS}/extensions")
                    return all(e["dnd"] is not None for e in extensions)

                async with asyncio.timeout(10):
                    await poll_until(synced, 0.05)
                yield panel
        finally:
            await server.close()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        message = f"no Chromium at {CHROMIUM} (apt-get install -y chromium)"
        if REQUIRE_CHROMIUM:
            pytest.fail(message + "; BRIDGE_REQUIRE_CHROMIUM=1 says it must be there")
        pytest.skip(message)
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            yield launched
        finally:
            await launched.close()
