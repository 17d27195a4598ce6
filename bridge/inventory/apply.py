"""Writes an :class:`Inventory` into one core server's directory: creates and updates, never
deletes, and changes nothing when the directory already says what the PBX says.

- Extension (by number): ``display_name`` from the PBX's name (when it has one), ``channel`` set
  only when the device differs from what the core server's ``channel_template`` makes.
- User: the extension's own user if it is bound to one of this core server; else the user whose
  username is the extension number, made if missing (display name from the PBX) and bound to the
  extension. A user named after its number follows the PBX's name; others keep theirs.
- License: a user without a license gets the import's own full license of this core server
  (``license_key = 'bridge-import'``), made when first needed; its seats are raised to the
  number of users on it, or set to ``--seats``. Users holding another license keep it.
- Queue (by identifier): made with the PBX's description (or its name); the description, when
  the PBX has one, is kept in step.
- Agent (by queue and interface): a static member is an agent when its interface or state
  interface is an extension's device, or names the extension the FreePBX way
  (``Local/101@from-queue/n``, ``hint:101@ext-local``); penalty and name kept in step.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bridge import models
from bridge.inventory import Inventory, PbxExtension, PbxMember, PbxQueue, quoted
from bridge.inventory.report import ImportReport
from bridge.inventory.rows import IMPORT_LICENSE_KEY, DirectoryRows, Row, key_of, text_of

_NAMED = re.compile(r"Local/([^@/]+)@[^/]+(?:/n)?|hint:([^@]+)@.+")


class ImportRefused(Exception):
    """The import cannot be done as asked (an unknown core server, say)."""


async def apply_inventory(
    engine: AsyncEngine, slug: str, inventory: Inventory, seats: int | None = None
) -> ImportReport:
    """Bring core server ``slug``'s directory in step with ``inventory``, in one transaction."""
    report = ImportReport(inventory.source, notes=list(inventory.skipped))
    async with engine.begin() as db:
        rows = await DirectoryRows.load(db, slug)
        if rows is None:
            raise ImportRefused(f"no core server {quoted(slug)}: add it first")
        writer = _Writer(db, rows, report)
        extensions = _unique(inventory.extensions)
        for extension in extensions:
            await writer.extension(extension)
        await writer.license(seats)
        for queue in inventory.queues:
            await writer.queue(queue)
        for member in inventory.members:
            await writer.agent(member)
    return report


def _unique(extensions: list[PbxExtension]) -> list[PbxExtension]:
    """The first of each number, in order."""
    first: dict[str, PbxExtension] = {}
    for extension in extensions:
        first.setdefault(extension.number, extension)
    return list(first.values())


class _Writer:
    def __init__(self, db: AsyncConnection, rows: DirectoryRows, report: ImportReport) -> None:
        self.db = db
        self.rows = rows
        self.report = report
        self.server_id = rows.server_id

    async def _insert(self, model: type[models.Base], **values: Any) -> Row:
        table = models.Base.metadata.tables[str(model.__tablename__)]
        row_id = await self.db.scalar(sa.insert(table).values(**values).returning(table.c.id))
        return {"id": row_id, **values}

    async def _update(self, model: type[models.Base], row: Row, **values: Any) -> None:
        table = models.Base.metadata.tables[str(model.__tablename__)]
        await self.db.execute(sa.update(table).where(table.c.id == row["id"]).values(**values))
        row.update(values)
        if model is models.Extension:
            self.rows.changed_extension()

    async def extension(self, extension: PbxExtension) -> None:
        """The extension and its user."""
        number, name = extension.number, extension.name
        default = self.rows.template(number)
        device = extension.device or default
        channel = None if device == default else device
        row = self.rows.extensions.get(number)
        user = await self._user_of(row, number, name)
        if row is None:
            row = await self._insert(
                models.Extension,
                core_server_id=self.server_id,
                user_id=user["id"],
                extension_number=number,
                display_name=name,
                channel=channel,
            )
            self.rows.add_extension(row)
            shown = [quoted(name) if name else "", channel or "", f"user {user['username']}"]
            self.report.record("extension", number, "added", ", ".join(x for x in shown if x))
            return
        changes: dict[str, Any] = {}
        if name and row["display_name"] != name:
            changes["display_name"] = name
        if self.rows.device_of(row) != device:
            changes["channel"] = channel
        words = [_change(k, row.get(k), v) for k, v in changes.items()]
        if key_of(row["user_id"]) != key_of(user["id"]):
            changes["user_id"] = user["id"]
            words.append(f"bound to user {user['username']}")
        await self._changed(models.Extension, "extension", number, row, changes, words)

    async def _changed(
        self,
        model: type[models.Base],
        kind: str,
        key: str,
        row: Row,
        changes: dict[str, Any],
        words: list[str] | None = None,
    ) -> None:
        if not changes:
            self.report.record(kind, key, "unchanged")
            return
        if words is None:
            words = [_change(k, row.get(k), v) for k, v in changes.items()]
        await self._update(model, row, **changes)
        self.report.record(kind, key, "updated", ", ".join(words))

    async def _license_id(self) -> str:
        if self.rows.license is None:
            self.rows.license = await self._insert(
                models.License,
                core_server_id=self.server_id,
                kind="full",
                seats=0,
                license_key=IMPORT_LICENSE_KEY,
            )
            self.rows.license_added = True
        return str(self.rows.license["id"])

    async def _user_of(self, extension: Row | None, number: str, name: str | None) -> Row:
        """The extension's user (its own, else the one named after its number, else a new
        one), in step with the PBX."""
        owner = self.rows.users_by_id.get(key_of(extension["user_id"])) if extension else None
        user = owner or self.rows.users_by_name.get(number)
        if user is None:
            user = await self._insert(
                models.User,
                core_server_id=self.server_id,
                username=number,
                display_name=name,
                license_id=await self._license_id(),
            )
            self.rows.add_user(user)
            self.report.record("user", number, "added", quoted(name) if name else "")
            return user
        changes: dict[str, Any] = {}
        if text_of(user["username"]) == number and name and user["display_name"] != name:
            changes["display_name"] = name
        words = [_change(k, user.get(k), v) for k, v in changes.items()]
        if user["license_id"] is None:
            changes["license_id"] = await self._license_id()
            words.append(f"licensed by {IMPORT_LICENSE_KEY}")
        await self._changed(models.User, "user", text_of(user["username"]), user, changes, words)
        return user

    async def license(self, seats: int | None) -> None:
        if seats is not None:
            await self._license_id()
        license_ = self.rows.license
        if license_ is None:
            return
        holders = self.rows.holders(license_["id"])
        wanted = seats if seats is not None else max(holders, int(license_["seats"] or 0))
        if self.rows.license_added:
            await self._update(models.License, license_, seats=wanted)
            self.report.record("license", IMPORT_LICENSE_KEY, "added", f"full, {wanted} seats")
        elif license_["seats"] != wanted:
            before = license_["seats"]
            await self._update(models.License, license_, seats=wanted)
            self.report.record(
                "license", IMPORT_LICENSE_KEY, "updated", f"seats {before} -> {wanted}"
            )
        if wanted < holders:
            self.report.notes.append(
                f"license {IMPORT_LICENSE_KEY}: {wanted} seats for {holders} users: "
                f"{holders - wanted} of them are not licensed (raise --seats)"
            )

    async def queue(self, queue: PbxQueue) -> None:
        row = self.rows.queues.get(queue.identifier)
        if row is None:
            row = await self._insert(
                models.Queue,
                core_server_id=self.server_id,
                identifier=queue.identifier,
                display_name=queue.name or queue.identifier,
            )
            self.rows.queues[queue.identifier] = row
            self.report.record("queue", queue.identifier, "added", quoted(row["display_name"]))
            return
        changes = (
            {"display_name": queue.name} if queue.name and row["display_name"] != queue.name else {}
        )
        await self._changed(models.Queue, "queue", queue.identifier, row, changes)

    def _member_extension(self, member: PbxMember) -> Row | None:
        for interface in (member.interface, member.state_interface):
            found = self.rows.by_device.get(interface)
            if found is not None:
                return found
        for interface in (member.interface, member.state_interface):
            named = _NAMED.fullmatch(interface)
            found = self.rows.extensions.get(named[1] or named[2]) if named else None
            if found is not None:
                return found
        return None

    async def agent(self, member: PbxMember) -> None:
        queue = self.rows.queues.get(member.queue)
        extension = self._member_extension(member)
        key = f"{member.interface} in queue {member.queue}"
        if queue is None or extension is None:
            self.report.notes.append(
                f"skipped member {quoted(member.interface)} of queue {quoted(member.queue)}: "
                "no extension of this core server has that device"
            )
            return
        row = self.rows.agent(queue["id"], member.interface)
        if row is None:
            row = await self._insert(
                models.Agent,
                queue_id=queue["id"],
                extension_id=extension["id"],
                name=member.name,
                interface=member.interface,
                dynamic=False,
                penalty=member.penalty,
            )
            self.rows.agents.append(row)
            number = text_of(extension["extension_number"])
            self.report.record("agent", key, "added", f"extension {number}")
            return
        changes: dict[str, Any] = {}
        if row["penalty"] != member.penalty:
            changes["penalty"] = member.penalty
        if member.name and row["name"] != member.name:
            changes["name"] = member.name
        if row["dynamic"]:
            changes["dynamic"] = False
        words = [_change(k, row.get(k), v) for k, v in changes.items()]
        if key_of(row["extension_id"]) != key_of(extension["id"]):
            changes["extension_id"] = extension["id"]
            words.append(f"now extension {text_of(extension['extension_number'])}")
        await self._changed(models.Agent, "agent", key, row, changes, words)


def _change(column: str, before: Any, after: Any) -> str:
    return f"{column.replace('_', ' ')} {_shown(before)} -> {_shown(after)}"


def _shown(value: Any) -> str:
    if value is None:
        return "none"
    return quoted(value) if isinstance(value, str) else str(value)
