"""Asterisk's own words played into the bridge: the events of a recorded capture, byte for byte,
written by the simulated PBX's socket to the bridge's logged-in session, so that what the REST
answers and WebSocket clients see is judged against a real Asterisk 22 and not only against our
simulator.

:func:`captured_events` keeps what Asterisk sent on its own (``Event:`` messages), leaving out
the answers to the recorder's actions (responses, and list items tagged with its ActionID) and
its login's ``FullyBooted`` / ``SuccessfulAuth``. :func:`pjsip_world` seeds the directory of the
chan_pjsip lab the ``pjsip/`` captures come from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from bridge.pbxsim import SimulatedPbx
from tests.captures import BANNER, load
from tests.support import Seed

LOGIN_EVENTS = (b"Event: FullyBooted\r\n", b"Event: SuccessfulAuth\r\n")


def captured_events(name: str) -> list[bytes]:
    """The events of capture ``name`` (``pjsip/phone_to_phone``...) Asterisk sent unasked."""
    data = load(name).server_bytes
    if data.startswith(BANNER):
        data = data[len(BANNER) :]
    events = []
    for message in data.split(b"\r\n\r\n"):
        if not message.startswith(b"Event: "):
            continue  # a response to the recorder's action
        raw = message + b"\r\n\r\n"
        if raw.startswith(LOGIN_EVENTS):
            continue
        if b"\r\nActionID: " in raw and not raw.startswith(b"Event: OriginateResponse"):
            continue  # an item of a list the recorder asked for
        events.append(raw)
    return events


async def replay_into(pbx: SimulatedPbx, name: str) -> int:
    """Write capture ``name``'s events to every session logged in to ``pbx``; how many."""
    return await pbx.blast(captured_events(name))


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
