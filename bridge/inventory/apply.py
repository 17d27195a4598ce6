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

from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bridge import models
from bridge.inventory import Inventory, PbxExtension, quoted
from bridge.inventory.queue_writer import QueueWriter
from bridge.inventory.report import ImportReport
from bridge.inventory.rows import IMPORT_LICENSE_KEY, DirectoryRows, Row, key_of, text_of
from bridge.inventory.writer import RowWriter, change


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
        writer, queues = ExtensionWriter(db, rows, report), QueueWriter(db, rows, report)
        extensions = _unique(inventory.extensions)
        for extension in extensions:
            await writer.extension(extension)
        await writer.license(seats)
        for queue in inventory.queues:
            await queues.queue(queue)
        for member in inventory.members:
            await queues.agent(member)
    return report


def _unique(extensions: list[PbxExtension]) -> list[PbxExtension]:
    """The first of each number, in order."""
    first: dict[str, PbxExtension] = {}
    for extension in extensions:
        first.setdefault(extension.number, extension)
    return list(first.values())


class ExtensionWriter(RowWriter):
    """Extensions, their users, and the import's license."""

    async def extension(self, extension: PbxExtension) -> None:
        """The extension and its user."""
        number, name = extension.number, extension.name
        default = self.rows.template(number)
        device = extension.device or default
        channel = None if device == default else device
        row = self.rows.extensions.get(number)
        user = await self._user_of(row, number, name)
        if row is None:
            row = await self.insert(
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
        words = [change(k, row.get(k), v) for k, v in changes.items()]
        if key_of(row["user_id"]) != key_of(user["id"]):
            changes["user_id"] = user["id"]
            words.append(f"bound to user {user['username']}")
        await self.changed(models.Extension, "extension", number, row, changes, words)

    async def _license_id(self) -> str:
        if self.rows.license is None:
            self.rows.license = await self.insert(
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
            user = await self.insert(
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
        words = [change(k, user.get(k), v) for k, v in changes.items()]
        if user["license_id"] is None:
            changes["license_id"] = await self._license_id()
            words.append(f"licensed by {IMPORT_LICENSE_KEY}")
        await self.changed(models.User, "user", text_of(user["username"]), user, changes, words)
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
            await self.update(models.License, license_, seats=wanted)
            self.report.record("license", IMPORT_LICENSE_KEY, "added", f"full, {wanted} seats")
        elif license_["seats"] != wanted:
            before = license_["seats"]
            await self.update(models.License, license_, seats=wanted)
            self.report.record(
                "license", IMPORT_LICENSE_KEY, "updated", f"seats {before} -> {wanted}"
            )
        if wanted < holders:
            self.report.notes.append(
                f"license {IMPORT_LICENSE_KEY}: {wanted} seats for {holders} users: "
                f"{holders - wanted} of them are not licensed (raise --seats)"
            )
