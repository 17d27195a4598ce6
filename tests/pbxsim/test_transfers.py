"""Blind and attended transfers: events, and who is connected to whom afterwards."""

from __future__ import annotations

import asyncio

from bridge.pbxsim import SimulatedPbx
from tests.pbxsim.flows import Watcher, assert_channels_consistent, listed, names


async def test_blind_transfer(phones: SimulatedPbx, watcher: Watcher) -> None:
    async with asyncio.timeout(5):
        call = phones.inbound_call("5551234", "8005550100", "4224")
        before = await watcher.fence()
        new = phones.blind_transfer(call, "4225")
        during = await watcher.fence()
        channels = await watcher.action("CoreShowChannels")
        phones.hangup_call(new)
        after = await watcher.fence()
    trunk, phone = call.caller, call.callee
    assert phone is not None and new.callee is not None and new.bridge is not None
    assert new.caller is trunk and new.callee.name.startswith("PJSIP/4225-")
    # the transferer is dropped by the bridge, no request (blind_transfer, blind_transfer_sip)
    assert names(during)[:6] == [
        "Unhold", "BlindTransfer", "BridgeLeave", "BridgeLeave", "BridgeDestroy", "Hangup",
    ]  # fmt: skip
    blind = next(m for m in during if m.get("Event") == "BlindTransfer")
    assert (blind["Result"], blind["IsExternal"], blind["Extension"]) == ("Success", "Yes", "4225")
    assert (blind["TransfererChannel"], blind["TransfereeChannel"]) == (phone.name, trunk.name)
    assert blind["BridgeNumChannels"] == "2"
    variables = {(m["Channel"], m["Value"]) for m in during if m.get("Variable") == "BLINDTRANSFER"}
    assert variables == {(phone.name, trunk.name), (trunk.name, phone.name)}
    # The transferee goes on in the dialplan at the number (its first Newexten there still
    # names the application it was in) and dials it.
    step = next(m for m in during if m.get("Event") == "Newexten")
    assert (step["Channel"], step["Exten"], step["Priority"]) == (trunk.name, "4225", "1")
    shown = {m["Channel"]: m["BridgeId"] for m in listed(channels, "CoreShowChannel")}
    assert shown == {trunk.name: new.bridge.uniqueid, new.callee.name: new.bridge.uniqueid}
    assert new.callee.linkedid == trunk.linkedid == trunk.uniqueid
    assert assert_channels_consistent([*before, *during, *after]) == set()


async def test_attended_transfer(phones: SimulatedPbx, watcher: Watcher) -> None:
    async with asyncio.timeout(5):
        call = phones.inbound_call("5551234", "8005550100", "4224")
        phones.hold(call)
        consult = phones.place_call("4224", "4226")
        before = await watcher.fence()
        joined = phones.attended_transfer(call, consult)
        during = await watcher.fence()
        channels = await watcher.action("CoreShowChannels")
        devices = await watcher.action("DeviceStateList")
        phones.hangup_call(joined, by=joined.callee)
        after = await watcher.fence()
    trunk, first, second, target = call.caller, call.callee, consult.caller, consult.callee
    assert first is not None and target is not None and consult.bridge is not None
    assert (joined.caller, joined.callee, joined.bridge) == (trunk, target, consult.bridge)
    assert names(during) == [
        "Unhold", "MusicOnHoldStop", "DeviceStateChange", "Unhold", "BridgeLeave",
        "BridgeLeave", "BridgeEnter", "NewConnectedLine", "NewConnectedLine", "AttendedTransfer",
        "BridgeLeave", "BridgeDestroy", "Hangup", "Hangup", "DeviceStateChange",
    ]  # fmt: skip
    enter = next(m for m in during if m.get("Event") == "BridgeEnter")
    assert (enter["Channel"], enter["SwapUniqueid"]) == (trunk.name, second.uniqueid)
    assert enter["BridgeUniqueid"] == consult.bridge.uniqueid
    done = next(m for m in during if m.get("Event") == "AttendedTransfer")
    assert (done["OrigTransfererChannel"], done["SecondTransfererChannel"]) == (
        first.name,
        second.name,
    )
    assert (done["TransfereeChannel"], done["TransferTargetChannel"]) == (trunk.name, target.name)
    assert (done["DestType"], done["DestBridgeUniqueid"]) == ("Bridge", consult.bridge.uniqueid)
    hung = [m["Channel"] for m in during if m.get("Event") == "Hangup"]
    assert hung == [second.name, first.name]
    shown = {m["Channel"]: m["BridgeId"] for m in listed(channels, "CoreShowChannel")}
    assert shown == {trunk.name: consult.bridge.uniqueid, target.name: consult.bridge.uniqueid}
    # Entering a bridge spreads its oldest Linkedid: the target's is now the trunk call's.
    assert target.linkedid == trunk.linkedid == trunk.uniqueid
    states = {m["Device"]: m["State"] for m in listed(devices, "DeviceStateChange")}
    assert states["PJSIP/4224"] == "NOT_INUSE" and states["PJSIP/4226"] == "INUSE"
    assert assert_channels_consistent([*before, *during, *after]) == set()
    assert phones.channels == [] and phones.bridges == []
