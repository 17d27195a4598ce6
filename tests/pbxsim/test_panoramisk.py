"""panoramisk 1.4, the bridge's AMI client, against the simulated PBX."""

from __future__ import annotations

import asyncio
from typing import Any

from panoramisk import Manager

from bridge.pbxsim import SimulatedPbx


def manager_for(pbx: SimulatedPbx, logged_in: asyncio.Event) -> Any:
    def on_login(_: Any) -> None:
        logged_in.set()

    return Manager(
        loop=asyncio.get_running_loop(),
        host="127.0.0.1",
        port=pbx.port,
        username="bridge",
        secret="bridge-secret",
        ping_delay=60,
        reconnect_timeout=60,
        on_login=on_login,
    )


async def test_panoramisk_logs_in_and_uses_the_astdb(pbx: SimulatedPbx) -> None:
    logged_in = asyncio.Event()
    manager = manager_for(pbx, logged_in)
    manager.connect()
    try:
        async with asyncio.timeout(5):
            await logged_in.wait()
            put = await manager.send_action(
                {"Action": "DBPut", "Family": "DND", "Key": "4224", "Val": "Zoë"}
            )
            got = await manager.send_action({"Action": "DBGet", "Family": "DND", "Key": "4224"})
            missing = await manager.send_action({"Action": "DBGet", "Family": "DND", "Key": "1"})
    finally:
        manager.close()
    assert put.response == "Success"
    names = [m.get("Event", m.get("Response")) for m in got]
    assert names == ["Success", "DBGetResponse", "DBGetComplete"]
    assert got[1]["Val"] == "Zoë" and pbx.astdb == {"/DND/4224": "Zoë"}
    assert (missing.response, missing.message) == ("Error", "Database entry not found")
    assert [r.name for r in pbx.actions()] == ["Login", "DBPut", "DBGet", "DBGet"]


async def test_panoramisk_originate_ack_then_outcome_event(pbx: SimulatedPbx) -> None:
    logged_in, outcome = asyncio.Event(), asyncio.Future[Any]()
    manager = manager_for(pbx, logged_in)
    manager.register_event("OriginateResponse", lambda _, event: outcome.set_result(event))
    manager.connect()
    originate = {
        "Action": "Originate",
        "Channel": "Local/4224@internal",
        "Context": "internal",
        "Exten": "18005555555",
        "Priority": "1",
        "CallerID": '"Michael Y" <4224>',
        "Async": "true",
    }
    try:
        async with asyncio.timeout(5):
            await logged_in.wait()
            ack = await manager.send_action(originate, as_list=False)
            event = await outcome
    finally:
        manager.close()
    assert (ack.response, ack.message) == ("Success", "Originate successfully queued")
    assert (event.actionid, event.reason, event.calleridname) == (ack.actionid, "4", "Michael Y")
