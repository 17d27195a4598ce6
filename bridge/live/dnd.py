"""DND from the AstDB key alone: the reads of the sync, of a phone's feature code, and of the
periodic refresh.

A phone's ``*76`` writes ``DND/<number>`` and sets ``Custom:DND<number>``; only the device state
raises an AMI event (``pjsip/dnd_feature_code``), so that event makes the bridge read the key
(``DBGet``) and the key's answer is what shows. Writes by other programs (another AMI client's
``DBPut``, ``database put`` in the CLI) raise no event at all, so the whole family is read again
(``DBGetTree``) every ``[dnd] refresh_interval`` seconds while the link is up and synced.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable

from bridge.ami import commands
from bridge.ami.link import AmiLink
from bridge.errors import AmiActionFailed, AmiTimeout, AmiUnavailable
from bridge.live.updater import LiveUpdater
from bridge.settings import DndSettings

log = logging.getLogger(__name__)


async def read_family(
    link: AmiLink, dnd: DndSettings, numbers: Iterable[str]
) -> dict[str, str | None]:
    """What every key of the DND family holds (``DBGetTree``: ``/DND/4224`` -> ``YES``), or on
    an Asterisk without DBGetTree one ``DBGet`` per number; numbers without a key may be left
    out."""
    prefix = f"/{dnd.family}/"
    try:
        reply = await link.send(commands.db_get_tree(dnd.family), expect_list=True)
    except AmiActionFailed:
        return {number: await read_key(link, dnd, number) for number in numbers}
    values: dict[str, str | None] = {}
    for event in reply.events:
        key = str(event.get("Key", ""))
        if key.startswith(prefix):
            values[key[len(prefix) :]] = str(event.get("Val", ""))
    return values


async def read_key(link: AmiLink, dnd: DndSettings, number: str) -> str | None:
    """What ``<family>/<number>`` holds; None when there is no such key (``Response: Error``,
    "Database entry not found")."""
    try:
        reply = await link.send(commands.db_get(dnd.family, number), expect_list=True)
    except AmiActionFailed:
        return None
    values = [e.get("Val") for e in reply.events if e.get("Event") == "DBGetResponse"]
    return str(values[0]) if values else None


class DndWatch:
    """Keeps one core server's ``dnd`` in step with AstDB after its sync (see the module doc).

    :meth:`touch` is the updater's hook for ``Custom:DND<number>`` events; :meth:`keep` runs on
    the link's session, after the sync, until the session ends."""

    def __init__(self, dnd: DndSettings, numbers: Callable[[], Iterable[str]]) -> None:
        self._dnd = dnd
        self._numbers = numbers
        self._touched: dict[str, None] = {}  # keys to read again, in order, each once
        self._wake = asyncio.Event()

    def touch(self, number: str) -> None:
        """The ``Custom:DND<number>`` device state changed: read that key again."""
        self._touched[number] = None
        self._wake.set()

    async def keep(self, link: AmiLink, updater: LiveUpdater) -> None:
        """Read touched keys at once and the whole family every ``refresh_interval``, until the
        link drops (or this task is cancelled with its session)."""
        loop = asyncio.get_running_loop()
        refresh_at = loop.time() + self._dnd.refresh_interval
        while True:
            if not self._touched:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout_at(refresh_at):
                        await self._wake.wait()
            self._wake.clear()
            try:
                if self._touched:
                    number = next(iter(self._touched))
                    del self._touched[number]
                    updater.dnd_read({number: await read_key(link, self._dnd, number)})
                if loop.time() >= refresh_at:
                    family = await read_family(link, self._dnd, self._numbers())
                    updater.dnd_read(family, whole_family=True)
                    refresh_at = loop.time() + self._dnd.refresh_interval
            except AmiUnavailable:
                return  # the next login syncs
            except AmiTimeout as error:
                log.warning("AMI %s: DND not read again: %s", link.name, error.message)
                refresh_at = loop.time() + self._dnd.refresh_interval
