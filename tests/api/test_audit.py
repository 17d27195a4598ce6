"""The audit trail: every action request, its outcome, readable by admins only."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa

from bridge.keys import audit_key, directory_key
from bridge.pbxsim import SimulatedPbx
from tests.api.test_extension_actions import connected, ext_path, post
from tests.conftest import StartBridge
from tests.pbx import FAST_AMI
from tests.support import Seed, call
from tests.world import World

AUDIT = "/communication_manager/rest/audit"


async def test_actions_are_audited_and_admins_read_them(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await start_bridge(ami=FAST_AMI)
    await connected(client, pbx)
    directory = client.app[directory_key]
    reloads = directory.reloads
    assert (
        await post(client, f"{ext_path(pbx_world)}/originate", {"destinationNumber": "+1 800-555"})
    )[0] == 204
    assert (await post(client, f"{ext_path(pbx_world)}/originate", {"destinationNumber": "1;2"}))[
        0
    ] == 422
    assert (await post(client, f"{ext_path(pbx_world, '107')}/enableDnd", account="viewer"))[
        0
    ] == 403
    assert (await post(client, f"{ext_path(pbx_world, '101')}/disableDnd", account="viewer"))[
        0
    ] == 204
    await client.app[audit_key].flush()
    status, entries = await call(client, "GET", AUDIT)
    assert status == 200
    got = [
        (
            e["account"],
            e["extensionNumber"],
            e["action"],
            e["destination"],
            e["outcome"],
            e["status"],
        )
        for e in entries
    ]
    assert got == [
        ("viewer", "101", "disableDnd", None, "ok", 204),
        ("admin", "100", "originate", None, "destination-invalid", 422),
        ("admin", "100", "originate", "+1800555", "ok", 204),
    ]  # newest first; the path-level 403 (107 is not viewable for viewer) is no action
    originated = entries[2]
    assert originated["amiActionId"] == pbx.actions("Originate")[0].message["ActionID"]
    assert originated["requestId"] and originated["time"].endswith("Z")
    assert originated["accountId"] == pbx_world.accounts["admin"]
    assert originated["source"] == "127.0.0.1"
    _, only = await call(client, "GET", AUDIT, params={"action": "disableDnd"})
    assert [e["action"] for e in only] == ["disableDnd"]
    _, page = await call(client, "GET", AUDIT, params={"limit": "1", "offset": "1"})
    assert [e["status"] for e in page] == [422]
    assert (await call(client, "GET", AUDIT, "viewer"))[0] == 403
    assert (await call(client, "GET", AUDIT, None))[0] == 401
    assert (await call(client, "GET", AUDIT, params={"limit": "5000"}))[0] == 400
    assert (await call(client, "POST", AUDIT))[0] == 405
    # writing the trail is no directory change: no snapshot was rebuilt for it
    await asyncio.sleep(0.3)
    assert directory.reloads == reloads


async def test_the_trail_survives_a_clean_stop(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge, seed: Seed
) -> None:
    client = await start_bridge(ami=FAST_AMI)
    await connected(client, pbx)
    for _ in range(5):
        assert (await post(client, f"{ext_path(pbx_world)}/enableDnd"))[0] == 204
    await client.close()  # the app's cleanup writes what is left
    async with seed.engine.connect() as connection:
        count = await connection.scalar(sa.text("SELECT count(*) FROM audit_events"))
    assert count == 5


async def test_an_oversized_originate_is_audited(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    """A body over max_body_bytes is an attempt too (toll fraud tries odd things)."""
    client = await start_bridge(ami=FAST_AMI)
    await connected(client, pbx)
    body = {"destinationNumber": "9" * 70_000}
    assert (await post(client, f"{ext_path(pbx_world)}/originate", body))[0] == 413
    status, entries = await call(client, "GET", AUDIT)
    assert status == 200
    assert [(e["action"], e["outcome"], e["status"]) for e in entries] == [
        ("originate", "payload-too-large", 413)
    ]
    assert pbx.actions("Originate") == []
