"""Queues and their static members as agents, for the import (rules in
:mod:`bridge.inventory.apply`)."""

from __future__ import annotations

import re
from typing import Any

from bridge import models
from bridge.inventory import PbxMember, PbxQueue, quoted
from bridge.inventory.rows import Row, key_of, text_of
from bridge.inventory.writer import RowWriter, change

_NAMED = re.compile(r"Local/([^@/]+)@[^/]+(?:/n)?|hint:([^@]+)@.+")


class QueueWriter(RowWriter):
    """Queues by identifier, agents by queue and interface."""

    async def queue(self, queue: PbxQueue) -> None:
        row = self.rows.queues.get(queue.identifier)
        if row is None:
            row = await self.insert(
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
        await self.changed(models.Queue, "queue", queue.identifier, row, changes)

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
            row = await self.insert(
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
        words = [change(k, row.get(k), v) for k, v in changes.items()]
        if key_of(row["extension_id"]) != key_of(extension["id"]):
            changes["extension_id"] = extension["id"]
            words.append(f"now extension {text_of(extension['extension_number'])}")
        await self.changed(models.Agent, "agent", key, row, changes, words)
