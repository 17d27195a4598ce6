"""The dialplan the simulated PBX runs, and the actions that send channels in it elsewhere."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bridge.pbxsim import SimulatedPbx, pjsip_lab_config
from tests.pbxsim.flows import Watcher, assert_channels_consistent


@pytest.fixture
async def lab() -> AsyncIterator[SimulatedPbx]:
    """The chan_pjsip lab of the captures."""
    async with SimulatedPbx(login_failure_delay=0.01, config=pjsip_lab_config()) as pbx:
        yield pbx


async def test_a_phone_in_dnd_is_busy(lab: SimulatedPbx) -> None:
    lab.astdb["/DND/4225"] = "YES"
    watcher = await Watcher.connect(lab)
    async with asyncio.timeout(5):
        call = lab.place_call("4224", "4225")
        events = await watcher.fence()
    await watcher.close()
    steps = [(m["Application"], m["AppData"]) for m in events if m.get("Event") == "Newexten"]
    assert steps == [
        ("NoOp", "Internal call 4224 -> 4225"),
        ("GotoIf", "1?dnd"),  # $[${DB_EXISTS(DND/4225)}] is 1: to the label
        ("Busy", "20"),
    ]
    [hangup] = [m for m in events if m.get("Event") == "Hangup"]
    assert (hangup["Channel"], hangup["Cause"]) == (call.caller.name, "17")
    assert call.callee is None and call.ended and lab.channels == []
    assert assert_channels_consistent(events) == set()


async def test_an_outside_number_waits_until_told(lab: SimulatedPbx) -> None:
    watcher = await Watcher.connect(lab)
    async with asyncio.timeout(5):
        call = lab.place_call("4226", "915551230000")
        answered = await watcher.fence()
        shown = await watcher.action("CoreShowChannels")
        lab.end_wait(call)
        ended = await watcher.fence()
    await watcher.close()
    [channel] = [m for m in shown if m.get("Event") == "CoreShowChannel"]
    assert (channel["Application"], channel["ApplicationData"]) == ("Wait", "5")
    noop = next(m for m in answered if m.get("Application") == "NoOp")
    assert noop["AppData"] == "Outbound call 4226 -> 15551230000"  # ${EXTEN:1}
    assert [m["Event"] for m in ended if m["Event"] in ("SoftHangupRequest", "Hangup")] == [
        "SoftHangupRequest",
        "Hangup",
    ]
    assert lab.channels == []


async def test_transfer_and_redirect_refuse_what_they_cannot_do(lab: SimulatedPbx) -> None:
    watcher = await Watcher.connect(lab)
    async with asyncio.timeout(5):
        answers = [
            (await watcher.action("BlindTransfer", **headers))[0]["Message"]
            for headers in (
                {"Exten": "4226"},
                {"Channel": "PJSIP/4224-000000ff"},
                {"Channel": "PJSIP/4224-000000ff", "Exten": "4226"},
            )
        ]
        answers += [
            (await watcher.action("Redirect", **headers))[0]["Message"]
            for headers in (
                {"Exten": "4226", "Priority": "1"},
                {"Channel": "PJSIP/4224-000000ff", "Exten": "4226", "Priority": "0"},
                {"Channel": "PJSIP/4224-000000ff", "Exten": "4226", "Priority": "1"},
            )
        ]
    await watcher.close()
    assert answers == [
        "No channel specified",
        "No extension specified",
        "Channel specified does not exist",
        "Channel not specified",
        "Priority is invalid",
        "Channel does not exist: PJSIP/4224-000000ff",
    ]
