"""Asterisk's own words played into the bridge: the events of a recorded capture, byte for byte,
written by the simulated PBX's socket to the bridge's logged-in session, so that what the REST
answers and WebSocket clients see is judged against a real Asterisk 22 and not only against our
simulator.

:func:`captured_bursts` keeps what Asterisk sent on its own (``Event:`` messages), leaving out
the answers to the recorder's actions (responses, and list items tagged with its ActionID) and
its login's ``FullyBooted`` / ``SuccessfulAuth``, in the bursts Asterisk sent them in.
:func:`pjsip_world` seeds the directory of the chan_pjsip lab the ``pjsip/`` captures come from,
:func:`local_world` that of the first lab, whose phones are Local channels.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field

import pytest

from bridge.pbxsim import SimulatedPbx
from tests.captures import BANNER, CAPTURES
from tests.support import Seed

LOGIN_EVENTS = (b"Event: FullyBooted\r\n", b"Event: SuccessfulAuth\r\n")


def captured_bursts(name: str) -> list[list[bytes]]:
    """The events of capture ``name`` (``pjsip/phone_to_phone``...) Asterisk sent unasked, in
    the bursts they came in: the events each socket read of the recorder completed."""
    bursts: list[list[bytes]] = []
    pending = b""
    for line in (CAPTURES / f"{name}.jsonl").read_text().splitlines():
        record = json.loads(line) if line.strip() else {}
        if record.get("dir") != "s2c":
            continue
        pending += record["data"].encode()
        if pending.startswith(BANNER):
            pending = pending[len(BANNER) :]
        *complete, pending = pending.split(b"\r\n\r\n")
        burst = [raw + b"\r\n\r\n" for raw in complete if _unasked(raw + b"\r\n\r\n")]
        if burst:
            bursts.append(burst)
    return bursts


def captured_events(name: str) -> list[bytes]:
    """All of capture ``name``'s unasked events, in order."""
    return [event for burst in captured_bursts(name) for event in burst]


def _unasked(raw: bytes) -> bool:
    if not raw.startswith(b"Event: ") or raw.startswith(LOGIN_EVENTS):
        return False  # a response to the recorder's action, or its own login's events
    # an item of a list the recorder asked for carries its ActionID (an OriginateResponse
    # carries the Originate's, but comes unasked)
    return b"\r\nActionID: " not in raw or raw.startswith(b"Event: OriginateResponse")


async def replay_into(pbx: SimulatedPbx, name: str) -> int:
    """Write capture ``name``'s events to every session logged in to ``pbx``, burst by burst,
    each burst read on its own as Asterisk's were; how many events."""
    count = 0
    for burst in captured_bursts(name):
        count += await pbx.blast(burst)
        await asyncio.sleep(0.005)  # the bridge reads this burst before the next one comes
    return count


@dataclass
class PjsipWorld:
    """The chan_pjsip lab's directory: phones 4224, 4225 and 4226 of licensed users, the queue
    ``support`` with 4224 as its static member, and an admin account."""

    cs: str = ""
    users: dict[str, str] = field(default_factory=dict)
    ext: dict[str, str] = field(default_factory=dict)
    queue: str = ""
    agent: str = ""


NAMES = {"4224": "Michael Y", "4225": "Anna K", "4226": "Tom B"}


@pytest.fixture
async def pjsip_world(seed: Seed, pbx: SimulatedPbx) -> PjsipWorld:
    world = PjsipWorld()
    world.cs = await seed.core_server(
        "default",
        name="PJSIP lab",
        ami_port=pbx.port,
        ami_username="bridge",
        ami_secret="bridge-secret",
    )
    license_id = await seed.license(world.cs, seats=10)
    for number, name in NAMES.items():
        user = name.split()[0].lower()
        world.users[number] = await seed.user(world.cs, user, license_id, display_name=name)
        world.ext[number] = await seed.extension(
            world.cs, number, world.users[number], display_name=name
        )
    world.queue = await seed.queue(world.cs, "support", display_name="Support")
    world.agent = await seed.agent(
        world.queue, world.ext["4224"], name="Agent 4224", interface="PJSIP/4224"
    )
    await seed.account("admin", "admin-pw", is_admin=True)
    return world


LOCAL_PHONES = {"4224": "Michael Y", "4225": "Anna K", "1001": "Phone 1001", "1002": "Phone 1002"}


@pytest.fixture
async def local_world(seed: Seed, pbx: SimulatedPbx) -> PjsipWorld:
    """The first lab's directory: phones are Local channels (``Local/<n>@internal``), the queue
    ``support`` has 4224 as its static member."""
    world = PjsipWorld()
    world.cs = await seed.core_server(
        "default",
        name="Local lab",
        ami_port=pbx.port,
        ami_username="bridge",
        ami_secret="bridge-secret",
        channel_template="Local/{number}@internal",
        originate_context="internal",
    )
    license_id = await seed.license(world.cs, seats=10)
    for number, name in LOCAL_PHONES.items():
        world.users[number] = await seed.user(world.cs, f"u{number}", license_id, display_name=name)
        world.ext[number] = await seed.extension(
            world.cs, number, world.users[number], display_name=name
        )
    world.queue = await seed.queue(world.cs, "support", display_name="Support")
    world.agent = await seed.agent(
        world.queue, world.ext["4224"], name="Agent 4224", interface="Local/4224@internal"
    )
    await seed.account("admin", "admin-pw", is_admin=True)
    return world
