"""Test helpers: seeding the directory over a real database connection, credentials."""

from __future__ import annotations

import base64
import datetime as dt
import socket
from typing import Any, cast

import sqlalchemy as sa
from argon2 import PasswordHasher
from sqlalchemy.ext.asyncio import AsyncEngine

from bridge import models

# Cheap argon2id parameters keep the suite fast; the bridge reads them from each hash.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
P = "/communication_manager/rest/live"


def basic(username: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


class Seed:
    """Inserts directory rows as an admin would: on its own connection, letting the database
    make ids and times unless a test gives them."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def insert(self, model: type[models.Base], **values: Any) -> str:
        table = cast(sa.Table, model.__table__)
        async with self.engine.begin() as connection:
            new_id = await connection.scalar(
                sa.insert(table).values(**values).returning(table.c.id)
            )
        return str(new_id)

    async def sql(self, statement: str, **params: Any) -> None:
        async with self.engine.begin() as connection:
            await connection.execute(sa.text(statement), params)

    async def row(self, model: type[models.Base], row_id: str) -> sa.RowMapping:
        table = model.__table__
        async with self.engine.connect() as connection:
            result = await connection.execute(sa.select(table).where(table.c.id == row_id))
            return result.mappings().one()

    async def core_server(self, slug: str = "default", **values: Any) -> str:
        values.setdefault("name", slug.title())
        return await self.insert(models.CoreServer, slug=slug, **values)

    async def license(self, core_server_id: str, seats: int = 10, **values: Any) -> str:
        return await self.insert(
            models.License, core_server_id=core_server_id, seats=seats, **values
        )

    async def user(
        self, core_server_id: str, username: str, license_id: str | None = None, **values: Any
    ) -> str:
        return await self.insert(
            models.User,
            core_server_id=core_server_id,
            username=username,
            license_id=license_id,
            **values,
        )

    async def extension(
        self, core_server_id: str, number: str, user_id: str | None = None, **values: Any
    ) -> str:
        return await self.insert(
            models.Extension,
            core_server_id=core_server_id,
            extension_number=number,
            user_id=user_id,
            **values,
        )

    async def queue(self, core_server_id: str, identifier: str, **values: Any) -> str:
        return await self.insert(
            models.Queue, core_server_id=core_server_id, identifier=identifier, **values
        )

    async def agent(self, queue_id: str, extension_id: str | None = None, **values: Any) -> str:
        return await self.insert(
            models.Agent, queue_id=queue_id, extension_id=extension_id, **values
        )

    async def account(self, username: str, password: str, **values: Any) -> str:
        return await self.insert(
            models.Account, username=username, password_hash=CHEAP_HASHER.hash(password), **values
        )

    async def grant(self, account_id: str, permission_id: str, action: str = "view") -> str:
        return await self.insert(
            models.Grant, account_id=account_id, permission_id=permission_id, action=action
        )

    async def permission_of(self, model: type[models.Base], row_id: str) -> str:
        return str((await self.row(model, row_id))["permission_id"])


def free_port() -> int:
    """A port nothing listens on now (for a server process to take)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC)


async def call(
    client: Any,
    method: str,
    path: str,
    account: str | None = "admin",
    password: str | None = None,
    **kwargs: Any,
) -> tuple[int, Any]:
    """``(status, json)`` of a request as one of the world's accounts (None: no credentials);
    every answer must be JSON."""
    from tests.world import PASSWORDS

    headers = dict(kwargs.pop("headers", {}))
    if account is not None:
        headers.update(basic(account, password if password is not None else PASSWORDS[account]))
    async with client.request(method, path, headers=headers, **kwargs) as response:
        assert response.content_type == "application/json", await response.text()
        return response.status, await response.json()


async def poll_until(probe: Any, interval: float = 0.01) -> None:
    """Call ``probe()`` (sync or async) until it is true; bound it with ``asyncio.timeout``.

    For watching from outside, as an API client would, where no event can be awaited."""
    import asyncio
    import inspect

    while True:
        result = probe()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        await asyncio.sleep(interval)
