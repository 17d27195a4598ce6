"""Actions on Asterisk: originate, DND, hangup, blind transfer, queue pause (docs/ami.md).
Nothing here knows HTTP."""

from __future__ import annotations

import asyncio
import logging
import time

from bridge.action_values import segment_gone
from bridge.allowances import SharedAllowances
from bridge.ami import commands
from bridge.ami.link import AmiLink
from bridge.ami.links import LinkRegistry
from bridge.directory import CoreServerEntry, ExtensionEntry
from bridge.errors import AmiActionFailed, AmiTimeout, AmiUnavailable
from bridge.limits import Bucket, refuse
from bridge.live import LiveState
from bridge.live.channels import ChannelInfo
from bridge.originates import OriginateTracker, PendingOriginate
from bridge.settings import Settings

log = logging.getLogger("bridge.actions")

DEVICE_STATE_RETRIES = 3
# Asterisk 22 answers DBDel of a missing key with this error; for disableDnd it is success.
DBDEL_MISSING = "Database entry could not be deleted"
# How Asterisk 22 answers Hangup and BlindTransfer of a channel that hung up meanwhile.
CHANNEL_GONE = ("No such channel", "Channel specified does not exist")


class ActionService:
    def __init__(
        self,
        links: LinkRegistry,
        settings: Settings,
        live: LiveState,
        tracker: OriginateTracker,
        allowances: SharedAllowances,
    ) -> None:
        self._links = links
        self._settings = settings
        self._live = live
        self.originates = tracker
        self._allowances = allowances
        self._background: set[asyncio.Task[None]] = set()

    async def allow(self, account_id: str, *, places_call: bool = False) -> None:
        """The account's allowance of actions, and for an action that can place a call its
        originate allowance too (toll fraud is the threat): RateLimited past either, and then
        neither is used. Both are counted in the database: every process spends one."""
        limits = self._settings.limits
        buckets = [
            Bucket(f"action:{account_id}", limits.actions_per_minute / 60, limits.actions_burst)
        ]
        if places_call:
            calls = Bucket(
                f"originate:{account_id}", limits.originate_per_minute / 60, limits.originate_burst
            )
            buckets.append(calls)
        waits = await self._allowances.take(buckets)
        if places_call and calls.key in waits:
            raise refuse(
                waits[calls.key], "Originate rate limit of this account reached", "rate-limited"
            )
        if waits:
            raise refuse(
                waits[buckets[0].key], "Action rate limit of this account reached", "rate-limited"
            )

    async def originate(
        self,
        server: CoreServerEntry,
        extension: ExtensionEntry,
        destination: str,
        action_id: str | None = None,
    ) -> str:
        """Send the Originate with ``action_id`` (made up when not given): the id its
        OriginateResponse will carry, and the audit trail's key to what Asterisk received."""
        link = self._link(server)
        action_id = action_id or commands.new_action_id()
        headers = commands.originate(
            action_id,
            extension.device,
            server.originate_context,
            destination,
            commands.caller_id(extension.display_name, extension.number),
            int(self._settings.ami.originate_timeout * 1000),
        )
        self.originates.expect(
            action_id,
            PendingOriginate(server, extension, destination, time.monotonic()),
        )
        # what the originated leg dials is known here before Asterisk says it (it says it
        # only once the phone answered): its segment shows it from the start
        self._live.server(server.id).expect_originate(extension.device, destination)
        try:
            await link.send(headers)
        except BaseException:
            self.originates.forget(action_id)
            raise
        log.info(  # once Asterisk took it: a refused one is the 503's access line, not this
            "originate %s -> %s on %s sent (%s)",
            extension.number,
            destination,
            server.slug,
            action_id,
        )
        return action_id

    async def set_dnd(self, server: CoreServerEntry, extension: ExtensionEntry, on: bool) -> None:
        """AstDB decides the answer; the BLF device state follows (failures logged, retried)."""
        dnd = self._settings.dnd
        link = self._link(server)
        if on:
            await link.send(commands.db_put(dnd.family, extension.number, dnd.value))
        else:
            try:
                await link.send(commands.db_del(dnd.family, extension.number))
            except AmiActionFailed as error:
                if error.details.get("amiMessage") != DBDEL_MISSING:
                    raise
        updater = self._links.updater(server.id)
        if updater is not None:
            updater.set_dnd(extension.number, on)
        state = dnd.device_state_on if on else dnd.device_state_off
        if not await self._write_device_state(link, f"DND{extension.number}", state):
            task = asyncio.create_task(self._retry_device_state(link, extension.number, state))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    async def hangup(
        self, server: CoreServerEntry, segment_id: str, channel: ChannelInfo | None, action_id: str
    ) -> None:
        """``Hangup`` of the segment's channel; NotFound when it hung up meanwhile."""
        link = self._synced_link(server, channel)
        assert channel is not None
        await self._on_channel(link, commands.hangup(action_id, channel.name), segment_id)
        log.info("hangup of %s on %s sent (%s)", channel.name, server.slug, action_id)

    async def transfer(
        self,
        server: CoreServerEntry,
        segment_id: str,
        channel: ChannelInfo | None,
        destination: str,
        action_id: str,
    ) -> None:
        """``BlindTransfer`` of the segment's channel: its bridged peer (the other party) goes to
        ``destination`` in the originate context, as if the phone had blind-transferred."""
        link = self._synced_link(server, channel)
        assert channel is not None
        headers = commands.blind_transfer(
            action_id, channel.name, server.originate_context, destination
        )
        await self._on_channel(link, headers, segment_id)
        log.info(
            "transfer of %s's peer -> %s on %s sent (%s)",
            channel.name,
            destination,
            server.slug,
            action_id,
        )

    async def pause(
        self,
        server: CoreServerEntry,
        queue: str,
        interface: str,
        paused: bool,
        reason: str,
        action_id: str,
    ) -> None:
        """``QueuePause`` of one member of one queue (``reason`` "" sends none)."""
        link = self._link(server)
        await link.send(commands.queue_pause(action_id, queue, interface, paused, reason))
        done = "paused" if paused else "unpaused"
        log.info("%s %s in %s on %s (%s)", done, interface, queue, server.slug, action_id)

    async def _on_channel(self, link: AmiLink, headers: dict[str, str], segment_id: str) -> None:
        try:
            await link.send(headers)
        except AmiActionFailed as error:
            if error.details.get("amiMessage") not in CHANNEL_GONE:
                raise
            raise segment_gone(segment_id) from None

    def _synced_link(self, server: CoreServerEntry, channel: ChannelInfo | None) -> AmiLink:
        """The link, once the live state (which knows the channel) is synced."""
        link = self._link(server)
        if channel is None:  # the path could not tell: the channels are not known yet
            raise AmiUnavailable(
                f"The calls on core server {server.slug} are not known yet (synchronising)",
                amiStatus=self._live.server(server.id).ami_status,
            )
        return link

    async def close(self) -> None:
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)

    async def _write_device_state(self, link: AmiLink, name: str, state: str) -> bool:
        try:
            await link.send(commands.set_custom_device_state(name, state))
        except (AmiActionFailed, AmiTimeout, AmiUnavailable) as error:
            log.warning("device state Custom:%s=%s not written: %s", name, state, error.message)
            return False
        return True

    async def _retry_device_state(self, link: AmiLink, number: str, state: str) -> None:
        for attempt in range(1, DEVICE_STATE_RETRIES + 1):
            await asyncio.sleep(attempt)
            if await self._write_device_state(link, f"DND{number}", state):
                return
        log.error(
            "device state Custom:DND%s=%s not written after %d retries",
            number,
            state,
            DEVICE_STATE_RETRIES,
        )

    def _link(self, server: CoreServerEntry) -> AmiLink:
        link = self._links.link(server.id)
        if link is None:
            status = self._live.server(server.id).ami_status
            raise AmiUnavailable(
                f"The AMI link to core server {server.slug} is {status}",
                amiStatus=status,
            )
        return link
