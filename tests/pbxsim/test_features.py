"""Hold, recording and DND by feature code on the simulated PBX."""

from __future__ import annotations

import asyncio

import pytest

from bridge.pbxsim import SimulatedPbx
from tests.pbxsim.flows import Watcher, assert_channels_consistent, listed, names


async def test_hold_and_unhold(phones: SimulatedPbx, watcher: Watcher) -> None:
    async with asyncio.timeout(5):
        call = phones.inbound_call("5551234", "8005550100", "4225")
        await watcher.fence()
        held = phones.hold(call)
        holding = await watcher.fence()
        devices = await watcher.action("DeviceStateList")
        phones.unhold(call)
        released = await watcher.fence()
        phones.hangup_call(call)
        await watcher.fence()
    assert call.callee is not None and held is call.caller  # the phone holds the trunk
    assert names(holding) == ["Hold", "MusicOnHoldStart", "DeviceStateChange"]
    hold = holding[0]
    assert (hold["Channel"], hold["MusicClass"]) == (call.callee.name, "default")
    assert (holding[1]["Channel"], holding[1]["Class"]) == (call.caller.name, "default")
    # chan_pjsip marks the held party's channel: its device (here the trunk) reads ONHOLD.
    assert holding[2]["Device"] == "PJSIP/trunk" and holding[2]["State"] == "ONHOLD"
    states = {m["Device"]: m["State"] for m in listed(devices, "DeviceStateChange")}
    assert (states["PJSIP/trunk"], states["PJSIP/4225"]) == ("ONHOLD", "INUSE")
    assert names(released) == ["Unhold", "MusicOnHoldStop", "DeviceStateChange"]
    assert released[2]["State"] == "INUSE"


async def test_holding_a_phone_shows_on_its_hint(phones: SimulatedPbx, watcher: Watcher) -> None:
    async with asyncio.timeout(5):
        call = phones.place_call("4224", "4225")
        await watcher.fence()
        phones.hold(call.callee or call)
        holding = await watcher.fence()
        phones.hangup_call(call)
        ended = await watcher.fence()
    status = next(m for m in holding if m.get("Event") == "ExtensionStatus")
    assert (status["Exten"], status["StatusText"]) == ("4224", "Hold")
    # Leaving the bridge while held ends the music first (bridge_channel's exit).
    assert "MusicOnHoldStop" in names(ended)


async def test_recording_starts_and_stops(phones: SimulatedPbx, watcher: Watcher) -> None:
    async with asyncio.timeout(5):
        call = phones.place_call("4224", "4225")
        await watcher.fence()
        channel = phones.start_recording(call)
        started = await watcher.fence()
        phones.stop_recording(channel.name)
        stopped = await watcher.fence()
        phones.start_recording(call.caller)
        phones.hangup_call(call)
        ended = await watcher.fence()
    assert channel is call.callee
    assert [m["Event"] for m in started] == ["VarSet", "MixMonitorStart"]
    assert started[0]["Variable"] == "MIXMONITOR_FILENAME"
    assert [(m["Event"], m["Channel"]) for m in stopped] == [("MixMonitorStop", channel.name)]
    assert "MixMonitorStop" not in names(ended)  # a hang-up ends a recording silently


async def test_hold_needs_an_answered_call(phones: SimulatedPbx) -> None:
    call = phones.place_call("4224", "4225", answer=False)
    with pytest.raises(LookupError):
        phones.hold(call)
    with pytest.raises(LookupError):
        phones.hold("PJSIP/4224-ffffffff")


async def test_dnd_by_feature_code(phones: SimulatedPbx, watcher: Watcher) -> None:
    async with asyncio.timeout(5):
        phones.dnd_feature_code("4224", True)
        on = await watcher.fence()
        got = await watcher.action("DBGet", Family="DND", Key="4224")
        tree = await watcher.action("DBGetTree", Family="DND")
        state = await watcher.action("ExtensionState", Exten="4224", Context="from-internal")
        devices = await watcher.action("DeviceStateList")
        phones.dnd_feature_code("4224", False, via_phone=False)
        off = await watcher.fence()
        missing = await watcher.action("DBGet", Family="DND", Key="4224")
    assert assert_channels_consistent(on) == set()
    dnd = [m for m in on if m.get("Device") == "Custom:DND4224"]
    assert [m["State"] for m in dnd] == ["BUSY"]
    hint = [m for m in on if m.get("Event") == "ExtensionStatus"]
    assert hint[-1]["StatusText"] == "Busy"
    assert listed(got, "DBGetResponse")[0]["Val"] == "YES"
    assert [m["Key"] for m in listed(tree, "DBGetTreeResponse")] == ["/DND/4224"]
    assert state[0]["StatusText"] == "Busy"
    states = {m["Device"]: m["State"] for m in listed(devices, "DeviceStateChange")}
    assert states["Custom:DND4224"] == "BUSY"
    assert [m["Event"] for m in off] == ["ExtensionStatus", "DeviceStateChange"]
    assert (off[1]["Device"], off[1]["State"]) == ("Custom:DND4224", "NOT_INUSE")
    assert missing[0]["Message"] == "Database entry not found"
    assert phones.astdb == {"/CustomDevstate/DND4224": "NOT_INUSE"}
