from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bridge.pbxsim import SimulatedPbx
from tests.ami.links import LinkFactory


@pytest.fixture
async def pbx() -> AsyncIterator[SimulatedPbx]:
    """A running simulated PBX with a short login failure delay."""
    async with SimulatedPbx(login_failure_delay=0.01) as simulated:
        yield simulated


@pytest.fixture
async def make_link(pbx: SimulatedPbx) -> AsyncIterator[LinkFactory]:
    """Started AmiLinks to ``pbx`` (closed at the end of the test)."""
    factory = LinkFactory(lambda: pbx.port)
    yield factory
    await factory.close()
