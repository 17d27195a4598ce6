"""Fixtures around the simulated PBX: a PBX on a real port and a world whose core server uses it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bridge.pbxsim import SimulatedPbx
from tests.support import Seed
from tests.world import World

# Small numbers keep failure tests quick; every one is still a real timeout over a real socket.
FAST_AMI: dict[str, Any] = {
    "action_timeout": 0.5,
    "reconnect_min": 0.02,
    "reconnect_max": 0.1,
    "heartbeat_interval": 5.0,
    "login_retry_interval": 60.0,
}


@pytest.fixture
async def pbx() -> AsyncIterator[SimulatedPbx]:
    async with SimulatedPbx(login_failure_delay=0.01, call_duration=None) as simulated:
        yield simulated


@pytest.fixture
async def pbx_world(world: World, seed: Seed, pbx: SimulatedPbx) -> World:
    """The standard world, with its "default" core server's AMI pointing at the simulated PBX
    (the others point at a closed port)."""
    await seed.sql(
        "UPDATE core_servers SET ami_port = :port, ami_username = 'bridge',"
        " ami_secret = 'bridge-secret' WHERE id = :id",
        port=pbx.port,
        id=world.cs,
    )
    await seed.sql("UPDATE core_servers SET ami_port = 9 WHERE id <> :id", id=world.cs)
    return world
