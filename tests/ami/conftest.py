from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bridge.ami.simulator import SimulatedPbx


@pytest.fixture
async def pbx() -> AsyncIterator[SimulatedPbx]:
    """A running simulated PBX with a short login failure delay."""
    async with SimulatedPbx(login_failure_delay=0.01) as simulated:
        yield simulated
