"""Fixtures: a real database (SQLite file, or a throw-away PostgreSQL database), migrated by
alembic, and the real app on a real port.

PostgreSQL: ``BRIDGE_TEST_POSTGRES_URL`` (default ``postgresql://postgres@127.0.0.1:5432/test``)
names a server where databases may be created; each test gets its own and drops it. Where no
server answers, PostgreSQL tests skip, unless ``BRIDGE_REQUIRE_POSTGRES=1`` (CI) makes that a
failure.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer, get_port_socket
from aiohttp.web_runner import BaseRunner
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bridge import migrate
from bridge.app import create_app
from bridge.db import create_engine
from bridge.listener import gated
from bridge.server import BridgeRunner
from bridge.settings import Settings
from tests.support import Seed

pytest_plugins = ["tests.world", "tests.pbx", "tests.tls", "tests.replays"]

POSTGRES_URL = os.environ.get(
    "BRIDGE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("BRIDGE_REQUIRE_POSTGRES") == "1"
BACKENDS = ["sqlite", "postgresql"]

StartBridge = Callable[..., Awaitable[TestClient[Any, Any]]]


async def _admin_connection() -> asyncpg.Connection:
    try:
        return await asyncpg.connect(POSTGRES_URL, timeout=3)
    except (OSError, asyncpg.PostgresError) as exc:
        message = f"PostgreSQL at {make_url(POSTGRES_URL).render_as_string()} unavailable: {exc}"
        if REQUIRE_POSTGRES:
            pytest.fail(message)
        pytest.skip(message)


def _postgres_url(database: str) -> str:
    url = make_url(POSTGRES_URL).set(drivername="postgresql+asyncpg", database=database)
    return url.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database file, copied for every test (migrations run once here and
    for real in tests/test_migrations.py)."""
    path = tmp_path_factory.mktemp("template") / "template.db"

    async def build() -> None:
        engine = create_engine(f"sqlite+aiosqlite:///{path}")
        await migrate.upgrade(engine)
        await engine.dispose()

    run_aside(build)
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A migrated PostgreSQL database used as the template of each test's database."""
    name = f"bridge_template_{uuid.uuid4().hex[:12]}"

    async def build() -> None:
        admin = await _admin_connection()
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        engine = create_engine(_postgres_url(name))
        await migrate.upgrade(engine)
        await engine.dispose()

    run_aside(build)
    yield name

    async def drop() -> None:
        admin = await asyncpg.connect(POSTGRES_URL, timeout=3)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()

    run_aside(drop)


def run_aside(action: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run a coroutine on a loop of its own (session fixtures are set up while a test's loop
    runs)."""
    with ThreadPoolExecutor(max_workers=1) as executor:
        executor.submit(asyncio.run, action()).result()


@pytest.fixture
async def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A database with nothing in it, on the backend of ``backend`` (parametrised)."""
    backend = getattr(request, "param", "sqlite")
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'bridge.db'}"
        return
    admin = await _admin_connection()
    name = f"bridge_test_{uuid.uuid4().hex[:12]}"
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield _postgres_url(name)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A migrated database, on SQLite and on PostgreSQL (every test using it runs on both)."""
    if request.param == "sqlite":
        path = tmp_path / "bridge.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    admin = await _admin_connection()
    template = request.getfixturevalue("postgres_template")
    name = f"bridge_test_{uuid.uuid4().hex[:12]}"
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        yield _postgres_url(name)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture
async def admin_engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """The connection an admin's SQL shell would use: not the bridge's."""
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def seed(admin_engine: AsyncEngine) -> Seed:
    return Seed(admin_engine)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings().replace(database={"url": database_url}, http={"port": 0})


class BridgeTestServer(TestServer):
    """aiohttp's TestServer (127.0.0.1, a free port) with the bridge's own runner, as
    ``bridge serve`` runs it: a handler goes on when its client goes away (aiohttp's test server
    would cancel it)."""

    def __init__(self, app: web.Application, **kwargs: Any) -> None:
        super().__init__(app, socket_factory=self._gated_socket, **kwargs)

    async def _make_runner(self, **kwargs: Any) -> BaseRunner:
        kwargs["handler_cancellation"] = False
        return BridgeRunner(self.app, **kwargs)

    def _gated_socket(self, host: str, port: int, family: socket.AddressFamily) -> socket.socket:
        """The caps applied at the accept, as ``bridge serve``'s listening sockets do."""
        assert isinstance(self.runner, BridgeRunner)
        return gated(get_port_socket(host, port, family), self.runner.connections)


@pytest.fixture
def start_bridge(aiohttp_client: Any, settings: Settings) -> StartBridge:
    """Start the real app on a real port (after the test has seeded what it needs)."""

    async def start(**sections: Any) -> TestClient[Any, Any]:
        server = BridgeTestServer(create_app(settings.replace(**sections)))
        return await aiohttp_client(server)  # type: ignore[no-any-return]

    return start
