"""The sync's questions about single things (``Getvar``): the state of each device that
``DeviceStateList`` leaves out, and when Asterisk answered each call found up.

There may be thousands, so they are bounded: at most :data:`PARALLEL` in flight on the link, and
all of one sync within the time the caller gives; what is not answered by then, or answered with
an error, is left out (and the value stays what the lists say, or unknown).
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Hashable, Mapping
from typing import TypeVar

from bridge.ami.link import AmiLink
from bridge.errors import AmiActionFailed, AmiTimeout

log = logging.getLogger(__name__)

PARALLEL = 8
K = TypeVar("K", bound=Hashable)


async def ask_values(
    link: AmiLink, actions: Mapping[K, Mapping[str, str]], within: float
) -> dict[K, str]:
    """Send each ``Getvar`` (``PARALLEL`` at a time, all within ``within`` seconds); the
    ``Value`` of each one answered with success, by key. AmiUnavailable when the link drops."""
    values: dict[K, str] = {}
    pending = iter(actions.items())  # shared by the workers: each action is taken once

    async def work() -> None:
        for key, headers in pending:
            try:
                reply = await link.send(headers)
            except (AmiActionFailed, AmiTimeout) as error:
                log.debug("AMI %s: %s not answered: %s", link.name, headers, error.message)
                continue
            values[key] = str(reply.response.get("Value") or "")

    workers = [asyncio.ensure_future(work()) for _ in range(min(PARALLEL, len(actions)))]
    try:
        async with asyncio.timeout(within):
            await asyncio.gather(*workers)
    except TimeoutError:
        log.warning(
            "AMI %s: %d of %d Getvar not answered within %.1f s; their values stay unknown",
            link.name,
            len(actions) - len(values),
            len(actions),
            within,
        )
    finally:
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
    return values


def cdr_time(value: str) -> float | None:
    """A raw CDR time (``CDR(answer,u)``: ``1795991935.123456``) as a Unix time; None for
    ``0.000000`` or empty (not answered). ValueError for anything else."""
    if not value.strip():
        return None
    seconds = float(value)
    if not math.isfinite(seconds):
        raise ValueError(f"not a time: {value!r}")
    return seconds if seconds > 0 else None
