"""After a sync every extension's ``deviceState`` is what ``DEVICE_STATE(<device>)`` says, also for
devices that ``DeviceStateList`` leaves out: Local channels (``device_state_lists_during_call``:
Asterisk lists only cached states, and no ``Local/...`` device although two were ``INUSE``) and an
endpoint that never changed. Those are asked for with ``Getvar`` (no ``Channel``)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bridge.keys import live_key
from bridge.pbxsim import SimulatedPbx
from tests.api.test_event_stream import started
from tests.api.test_extension_actions import connected, post
from tests.conftest import StartBridge
from tests.live.test_live_api import eventually, get
from tests.replays import PjsipWorld
from tests.support import P, Seed


@dataclass
class LocalWorld:
    """The no-SIP lab of the parent captures: phones are Local channels into context
    ``internal`` (1000 has the hint ``Local/1000@internal``; 1001 has none)."""

    cs: str


async def local_world(seed: Seed, pbx: SimulatedPbx) -> LocalWorld:
    cs = await seed.core_server(
        "default",
        ami_port=pbx.port,
        ami_username="bridge",
        ami_secret="bridge-secret",
        originate_context="internal",
    )
    license_id = await seed.license(cs, seats=10)
    for number in ("1000", "1001"):
        user = await seed.user(cs, f"desk{number}", license_id, display_name=f"Desk {number}")
        await seed.extension(
            cs, number, user, display_name=f"Desk {number}", channel=f"Local/{number}@internal"
        )
    await seed.account("admin", "admin-pw", is_admin=True)
    return LocalWorld(cs)


def state_asks(pbx: SimulatedPbx) -> list[tuple[str | None, str | None]]:
    return [(r.message.get("Channel"), r.message.get("Variable")) for r in pbx.actions("Getvar")]


async def test_local_devices_in_a_call_read_what_asterisk_says_after_a_resync(
    seed: Seed, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    world = await local_world(seed, pbx)
    client = await started(start_bridge, pbx)
    path = f"{P}/coreServers/{world.cs}/extensions/getByName"
    status, _ = await post(client, f"{path}/1001/originate", {"destinationNumber": "1000"})
    assert status == 204

    async def in_use() -> bool:
        return bool((await get(client, f"{path}/1001"))["deviceState"] == "INUSE")

    await eventually(in_use)
    # As on the real Asterisk (and the simulator), DeviceStateList lists no Local device.
    asked_before = len(pbx.actions("Getvar"))
    pbx.drop_connections()
    await connected(client, pbx, logins=2)
    live = client.app[live_key].server(world.cs)
    await eventually(lambda: live.synced)
    assert (await get(client, f"{path}/1001"))["deviceState"] == "INUSE"
    assert (await get(client, f"{path}/1000"))["deviceState"] == "NOT_INUSE"
    asked = state_asks(pbx)[asked_before:]
    assert sorted(asked) == [
        (None, "DEVICE_STATE(Local/1000@internal)"),
        (None, "DEVICE_STATE(Local/1001@internal)"),
    ]


async def test_devices_the_list_leaves_out_are_asked_for(
    pjsip_world: PjsipWorld, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    """The lab PBX lists no PJSIP endpoint (none ever changed); 4226 has no hint either."""
    pbx.set_device_state("Custom:DND4224", "NOT_INUSE")  # listed: never asked for
    client = await started(start_bridge, pbx)
    path = f"{P}/coreServers/{pjsip_world.cs}/extensions/getByName"
    for number in ("4224", "4225", "4226"):
        assert (await get(client, f"{path}/{number}"))["deviceState"] == "NOT_INUSE", number
    assert sorted(state_asks(pbx)) == [
        (None, "DEVICE_STATE(PJSIP/4224)"),
        (None, "DEVICE_STATE(PJSIP/4225)"),
        (None, "DEVICE_STATE(PJSIP/4226)"),
    ]


async def test_a_device_that_cannot_be_asked_for_leaves_the_sync_standing(
    pjsip_world: PjsipWorld, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    """A Getvar answered with an error is skipped: the hint (or UNKNOWN) shows, as before."""
    pbx.fail("Getvar", "Simulated failure")
    client = await started(start_bridge, pbx)
    path = f"{P}/coreServers/{pjsip_world.cs}/extensions/getByName"
    async with asyncio.timeout(5):
        await pbx.wait_for_action("Getvar", count=3)
    assert (await get(client, f"{path}/4226"))["deviceState"] == "UNKNOWN"


async def test_getvars_asterisk_does_not_answer_do_not_hold_the_sync(
    pjsip_world: PjsipWorld, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    """Each Getvar waits at most ``[ami] action_timeout``, all of one sync twice that."""
    pbx.stall("Getvar")
    client = await started(start_bridge, pbx)
    path = f"{P}/coreServers/{pjsip_world.cs}/extensions/getByName"
    assert (await get(client, f"{path}/4226"))["deviceState"] == "UNKNOWN"
    assert len(pbx.actions("Getvar")) == 3
    pbx.unstall("Getvar")
