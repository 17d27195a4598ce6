"""PJSIPShowEndpoints / PJSIPShowEndpoint beyond the capture: live state, the PJSIP/ prefix, the
errors Asterisk's source writes, and the write class they need."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bridge.ami.protocol import Message
from bridge.pbxsim import SimulatedPbx, pjsip_lab_config
from bridge.pbxsim.config import EVENT_CLASSES
from tests.pbxsim.client import AmiTestClient


@pytest.fixture
async def lab() -> AsyncIterator[SimulatedPbx]:
    async with SimulatedPbx(
        login_failure_delay=0.01, config=pjsip_lab_config(), call_duration=None
    ) as pbx:
        yield pbx


async def _ask(pbx: SimulatedPbx, request: dict[str, str], until: str) -> list[Message]:
    """Log in (events off), send ``request``, read its answer up to the message whose
    ``Event`` or ``Response`` is ``until``."""
    client = await AmiTestClient.connect(pbx.port)
    try:
        await client.login(Events="off")
        client.send(request)
        answer = [await client.until("ActionID", request["ActionID"])]
        while until not in (answer[-1].get("Event"), answer[-1].get("Response")):
            answer.append(await client.message())
        return answer
    finally:
        await client.close()


async def test_endpoint_list_shows_live_state_and_detail_takes_the_pjsip_prefix(
    lab: SimulatedPbx,
) -> None:
    async with asyncio.timeout(5):
        lab.place_call("4224", "4225")  # both phones in use
        endpoints = await _ask(
            lab, {"Action": "PJSIPShowEndpoints", "ActionID": "e"}, "EndpointListComplete"
        )
        details = await _ask(
            lab,
            {"Action": "PJSIPShowEndpoint", "ActionID": "d", "Endpoint": "PJSIP/4226"},
            "EndpointDetailComplete",
        )
    listed = {
        m["ObjectName"]: (m["DeviceState"], m["ActiveChannels"])
        for m in endpoints
        if m.get("Event") == "EndpointList"
    }
    assert listed == {
        "4224": ("In use", "1"),
        "4225": ("In use", "1"),
        "4226": ("Not in use", "0"),
        "trunk": ("Not in use", "0"),
    }
    detail = details[1]
    assert [m.get("Event") for m in details[1:]] == [
        "EndpointDetail", "TransportDetail", "AorDetail", "ContactStatusDetail",
        "EndpointDetailComplete",
    ]  # fmt: skip
    assert (detail["ObjectName"], detail["Callerid"], detail["Context"]) == (
        "4226",
        '"Phone 4226" <4226>',
        "from-internal",
    )


async def test_errors_and_the_system_write_class(lab: SimulatedPbx) -> None:
    lab.users["bridge"].write = EVENT_CLASSES - {"system"}
    async with asyncio.timeout(5):
        [denied] = await _ask(lab, {"Action": "PJSIPShowEndpoints", "ActionID": "1"}, "Error")
        lab.users["bridge"].write = EVENT_CLASSES
        [missing] = await _ask(lab, {"Action": "PJSIPShowEndpoint", "ActionID": "2"}, "Error")
    assert (denied["Response"], denied["Message"]) == ("Error", "Permission denied")
    assert missing["Message"] == "PJSIPShowEndpoint requires an endpoint name"


async def test_a_pbx_without_chan_pjsip_does_not_know_the_actions(pbx: SimulatedPbx) -> None:
    async with asyncio.timeout(5):
        [answer] = await _ask(pbx, {"Action": "PJSIPShowEndpoints", "ActionID": "1"}, "Error")
    assert answer["Message"].startswith("Invalid/unknown command: PJSIPShowEndpoints.")
