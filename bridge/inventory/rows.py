"""One core server's directory rows, as an import reads and changes them in its transaction.

Rows are plain dicts, updated in place as the import writes; values an admin shell stored with
the wrong type (an extension number as an integer, on SQLite) are compared as text, and ids
without regard to case, as the service reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bridge import models

Row = dict[str, Any]
IMPORT_LICENSE_KEY = "bridge-import"  # licenses.license_key of the license imports make
_TABLES = models.Base.metadata.tables


def text_of(value: Any) -> str:
    """A column value as text (None: ``""``)."""
    return "" if value is None else value if isinstance(value, str) else str(value)


def key_of(value: Any) -> str:
    """An id as a lookup key."""
    return text_of(value).lower()


async def _select(db: AsyncConnection, query: sa.Select[Any]) -> list[Row]:
    return [dict(row) for row in (await db.execute(query)).mappings()]


@dataclass(slots=True)
class DirectoryRows:
    server_id: str
    channel_template: str
    extensions: dict[str, Row]
    users: list[Row]
    queues: dict[str, Row]
    agents: list[Row]
    license: Row | None
    license_added: bool = False
    _by_device: dict[str, Row] | None = field(default=None, repr=False)

    @classmethod
    async def load(cls, db: AsyncConnection, slug: str) -> DirectoryRows | None:
        """The rows of core server ``slug`` (None: there is none); the import's license is the
        oldest of its licenses whose key is the import's."""
        servers, licenses = _TABLES["core_servers"], _TABLES["licenses"]
        server = (
            await db.execute(
                sa.select(servers.c.id, servers.c.channel_template).where(servers.c.slug == slug)
            )
        ).one_or_none()
        if server is None:
            return None
        server_id = server.id
        extensions, users, queues, agents = (
            _TABLES[name] for name in ("extensions", "users", "queues", "agents")
        )
        extension_rows = await _select(
            db, sa.select(extensions).where(extensions.c.core_server_id == server_id)
        )
        queue_rows = await _select(
            db, sa.select(queues).where(queues.c.core_server_id == server_id)
        )
        license_rows = await _select(
            db,
            sa.select(licenses)
            .where(
                licenses.c.core_server_id == server_id,
                licenses.c.license_key == IMPORT_LICENSE_KEY,
            )
            .order_by(licenses.c.created_at, licenses.c.id),
        )
        return cls(
            server_id=server_id,
            channel_template=text_of(server.channel_template),
            extensions={text_of(r["extension_number"]): r for r in extension_rows},
            users=await _select(db, sa.select(users).where(users.c.core_server_id == server_id)),
            queues={text_of(r["identifier"]): r for r in queue_rows},
            agents=await _select(
                db, sa.select(agents).where(agents.c.queue_id.in_([r["id"] for r in queue_rows]))
            ),
            license=license_rows[0] if license_rows else None,
        )

    def template(self, number: str) -> str:
        """The device ``channel_template`` makes for ``number``."""
        return self.channel_template.replace("{number}", number)

    def device_of(self, extension: Row) -> str:
        """An extension's device: its channel, else the template's."""
        number = text_of(extension["extension_number"])
        return text_of(extension["channel"]) or self.template(number)

    def add_extension(self, row: Row) -> None:
        self.extensions[text_of(row["extension_number"])] = row
        self._by_device = None

    def changed_extension(self) -> None:
        self._by_device = None

    def add_user(self, row: Row) -> None:
        self.users.append(row)

    @property
    def by_device(self) -> dict[str, Row]:
        """Device -> the extension of that device (the lowest number, when several share one)."""
        if self._by_device is None:
            self._by_device = {}
            for number in sorted(self.extensions, reverse=True):
                row = self.extensions[number]
                self._by_device[self.device_of(row)] = row
        return self._by_device

    @property
    def users_by_id(self) -> dict[str, Row]:
        return {key_of(user["id"]): user for user in self.users}

    @property
    def users_by_name(self) -> dict[str, Row]:
        return {text_of(user["username"]): user for user in self.users}

    def holders(self, license_id: Any) -> int:
        """Users of this core server on that license."""
        return sum(1 for user in self.users if key_of(user["license_id"]) == key_of(license_id))

    def agent(self, queue_id: Any, interface: str) -> Row | None:
        """The agent row of that queue for that interface (a row without an interface stands
        for its extension's device)."""
        devices = {key_of(row["id"]): self.device_of(row) for row in self.extensions.values()}
        for row in self.agents:
            if key_of(row["queue_id"]) != key_of(queue_id):
                continue
            stands_for = text_of(row["interface"]) or devices.get(key_of(row["extension_id"]), "")
            if stands_for == interface:
                return row
        return None
