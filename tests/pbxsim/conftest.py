from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bridge.pbxsim import SimulatedPbx
from tests.pbxsim.flows import Watcher, phones_pbx


@pytest.fixture
async def pbx() -> AsyncIterator[SimulatedPbx]:
    """A running simulated PBX with a short login failure delay."""
    async with SimulatedPbx(login_failure_delay=0.01) as simulated:
        yield simulated


@pytest.fixture
async def phones() -> AsyncIterator[SimulatedPbx]:
    """A running simulated PBX of PJSIP phones 4224-4226 and queue ``sales``."""
    async with phones_pbx() as simulated:
        yield simulated


@pytest.fixture
async def watcher(phones: SimulatedPbx) -> AsyncIterator[Watcher]:
    """A logged-in client of ``phones`` reading all events."""
    client = await Watcher.connect(phones)
    yield client
    await client.close()
