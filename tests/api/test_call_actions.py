"""Hang up and blind-transfer a live call segment (``EXT/callSegments/{id}/hangup``,
``.../transfer``) through the real app, a real socket and the simulated PBX's phones."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bridge import models
from bridge.keys import audit_key
from bridge.pbxsim import SimulatedPbx, phone_lab_config
from bridge.pbxsim.simcall import SimCall
from tests.api.test_extension_actions import (
    _is_not_connected,
    connected,
    ext_path,
    post,
    started,
)
from tests.conftest import StartBridge
from tests.live.test_live_api import eventually, get
from tests.pbx import FAST_AMI
from tests.support import Seed, basic, call
from tests.world import World

PEOPLE = {"100": "Alice", "101": "Bob", "107": "Gina", "108": "Alice Desk"}
AUDIT = "/communication_manager/rest/audit"


@pytest.fixture
async def pbx() -> AsyncIterator[SimulatedPbx]:
    """A FreePBX-like PBX whose phones are the world's extensions."""
    config = phone_lab_config(PEOPLE, queues={"support": ["PJSIP/100"]})
    async with SimulatedPbx(login_failure_delay=0.01, call_duration=None, config=config) as sim:
        yield sim


async def segments(client: TestClient[Any, Any], world: World, number: str) -> list[Any]:
    return list(await get(client, f"{ext_path(world, number)}/callSegments"))


async def live_call(
    client: TestClient[Any, Any], pbx: SimulatedPbx, world: World, caller: str, callee: str
) -> tuple[SimCall, dict[str, Any], dict[str, Any]]:
    """An answered call from ``caller`` to ``callee``; its two segments as the API shows them."""
    sim = pbx.place_call(f"PJSIP/{caller}", callee, to_device=f"PJSIP/{callee}")
    for number in (caller, callee):
        await eventually(lambda n=number: _answered(client, world, n))
    [mine] = await segments(client, world, caller)
    [theirs] = await segments(client, world, callee)
    return sim, mine, theirs


async def _answered(client: TestClient[Any, Any], world: World, number: str) -> bool:
    found = await segments(client, world, number)
    return len(found) == 1 and found[0]["state"] == "Up" and found[0]["callerId"]["number"] != ""


def segment_path(world: World, number: str, segment: dict[str, Any], action: str = "") -> str:
    path = f"{ext_path(world, number)}/callSegments/{segment['id']}"
    return f"{path}/{action}" if action else path


def sent(pbx: SimulatedPbx, action: str) -> list[dict[str, str]]:
    """The headers of each ``action`` the PBX received, ActionID left out."""
    return [{k: v for k, v in r.message.headers if k != "ActionID"} for r in pbx.actions(action)]


async def test_hangup_sends_exactly_the_contract_headers_and_the_segment_ends(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await started(start_bridge, pbx)
    _, mine, theirs = await live_call(client, pbx, pbx_world, "100", "101")
    # one segment by its id, as the list shows it
    assert await get(client, segment_path(pbx_world, "100", mine)) == mine
    status, _ = await post(client, segment_path(pbx_world, "100", mine, "hangup"))
    assert status == 204
    assert sent(pbx, "Hangup") == [{"Action": "Hangup", "Channel": mine["channel"]}]
    assert mine["channel"].startswith("PJSIP/100-")
    assert pbx.actions("Hangup")[0].message["ActionID"].startswith("bridge-")
    await eventually(lambda: _none_left(client, pbx_world))
    # the segment is gone: 404 for its actions and for itself, and nothing more is sent
    for path in (
        segment_path(pbx_world, "100", mine, "hangup"),
        segment_path(pbx_world, "101", theirs, "transfer"),
    ):
        status, body = await post(client, path, {"destinationNumber": "107"})
        assert (status, body["error"]) == (404, "call-segment-not-found")
    status, body = await call(client, "GET", segment_path(pbx_world, "100", mine))
    assert (status, body["error"]) == (404, "call-segment-not-found")
    assert pbx.action_count("Hangup") == 1 and pbx.action_count("BlindTransfer") == 0


async def _none_left(client: TestClient[Any, Any], world: World) -> bool:
    return not await segments(client, world, "100") and not await segments(client, world, "101")


async def test_a_segment_of_another_extension_or_never_live_is_404(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await started(start_bridge, pbx)
    _, mine, _ = await live_call(client, pbx, pbx_world, "100", "101")
    for number, segment_id in (("101", mine["id"]), ("100", "1795991710.99"), ("100", "x%2Fy")):
        status, body = await post(
            client, segment_path(pbx_world, number, {"id": segment_id}, "hangup")
        )
        assert (status, body["error"]) == (404, "call-segment-not-found"), segment_id
    # the path before the body: a missing segment is 404 whatever is sent
    async with client.post(
        segment_path(pbx_world, "100", {"id": "1795991710.99"}, "transfer"),
        data=b"{",
        headers={**basic("admin", "admin-pw"), "Content-Type": "application/json"},
    ) as response:
        assert (response.status, (await response.json())["error"]) == (
            404,
            "call-segment-not-found",
        )
    assert pbx.action_count("Hangup") == 0


async def test_a_channel_gone_before_asterisk_acts_is_404(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    """The call ended between the bridge's look and Asterisk's: Asterisk's own words."""
    client = await started(start_bridge, pbx)
    _, mine, _ = await live_call(client, pbx, pbx_world, "100", "101")
    pbx.fail("Hangup", "No such channel")
    pbx.fail("BlindTransfer", "Channel specified does not exist")
    for action in ("hangup", "transfer"):
        status, body = await post(
            client, segment_path(pbx_world, "100", mine, action), {"destinationNumber": "107"}
        )
        assert (status, body["error"]) == (404, "call-segment-not-found")


async def test_transfer_sends_the_other_party_to_the_destination(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await started(start_bridge, pbx)
    _, mine, theirs = await live_call(client, pbx, pbx_world, "100", "101")
    # Bob (101) transfers Alice, his caller, to Gina: the number is normalised as for originate
    status, _ = await post(
        client, segment_path(pbx_world, "101", theirs, "transfer"), {"destinationNumber": "1 0-7"}
    )
    assert status == 204
    assert sent(pbx, "BlindTransfer") == [
        {
            "Action": "BlindTransfer",
            "Channel": theirs["channel"],  # the transferer's channel: Asterisk moves its peer
            "Context": "from-internal",
            "Exten": "107",
        }
    ]
    # Bob's leg is hung up; Alice's stays and now rings Gina, whose phone shows Alice
    await eventually(lambda: _no_segments(client, pbx_world, "101"))
    await eventually(lambda: _has_segments(client, pbx_world, "107"))
    [gina] = await segments(client, pbx_world, "107")
    assert (gina["incoming"], gina["callerId"]["number"]) == (True, "100")
    [alice] = await segments(client, pbx_world, "100")
    assert alice["id"] == mine["id"]


async def test_a_transferred_outside_caller_shows_on_the_new_phone(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    """The panel's case: Bob sends an outside caller on to Gina; Gina's new leg is a segment of
    107 whose other party is that caller, with the number the caller dialled."""
    client = await started(start_bridge, pbx)
    pbx.inbound_call("5551234", "18005550000", "PJSIP/101", caller_name="Caller")
    await eventually(lambda: _answered(client, pbx_world, "101"))
    [theirs] = await segments(client, pbx_world, "101")
    status, _ = await post(
        client, segment_path(pbx_world, "101", theirs, "transfer"), {"destinationNumber": "107"}
    )
    assert status == 204
    await eventually(lambda: _no_segments(client, pbx_world, "101"))
    await eventually(lambda: _answered(client, pbx_world, "107"))
    [gina] = await segments(client, pbx_world, "107")
    assert gina["callerId"] == {"id": None, "name": "Caller", "number": "5551234"}
    assert (gina["type"], gina["incoming"], gina["did"]) == ("EXTERNAL", True, "18005550000")


async def _no_segments(client: TestClient[Any, Any], world: World, number: str) -> bool:
    return not await segments(client, world, number)


async def _has_segments(client: TestClient[Any, Any], world: World, number: str) -> bool:
    return bool(await segments(client, world, number))


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({}, "destination-missing"),
        (None, "destination-missing"),
        ({"destinationNumber": 107}, "destination-invalid"),
        ({"destinationNumber": "107\r\nAction: Hangup"}, "destination-invalid"),
        ({"destinationNumber": "1@evil"}, "destination-invalid"),
    ],
)
async def test_bad_transfer_destinations_never_reach_asterisk(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge, body: Any, error: str
) -> None:
    client = await started(start_bridge, pbx)
    _, mine, _ = await live_call(client, pbx, pbx_world, "100", "101")
    status, answer = await post(client, segment_path(pbx_world, "100", mine, "transfer"), body)
    assert (status, answer["error"]) == (422, error)
    assert pbx.action_count("BlindTransfer") == pbx.action_count("Hangup") == 0


async def test_a_transfer_of_a_call_in_no_bridge_is_asterisks_error(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await started(start_bridge, pbx)
    pbx.place_call("PJSIP/100", "101", to_device="PJSIP/101", answer=False)
    await eventually(lambda: _has_segments(client, pbx_world, "101"))
    [ringing] = await segments(client, pbx_world, "100")
    status, body = await post(
        client, segment_path(pbx_world, "100", ringing, "transfer"), {"destinationNumber": "107"}
    )
    assert (status, body["error"]) == (502, "ami-action-failed")
    assert body["details"]["amiMessage"] == "Transfer invalid"


async def test_rights_to_control_calls(
    pbx_world: World, seed: Seed, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    gina = await seed.permission_of(models.Extension, pbx_world.ext["107"])
    cs = await seed.permission_of(models.CoreServer, pbx_world.cs)
    accounts = {name: await seed.account(name, f"{name}-pw") for name in ("watch", "dnd", "ctl")}
    for name, account in accounts.items():
        await seed.grant(account, cs, "view")
        await seed.grant(account, gina, "view")
        if name != "watch":
            await seed.grant(account, gina, "dnd" if name == "dnd" else "control")
    client = await started(start_bridge, pbx)
    _, _, gina_leg = await live_call(client, pbx, pbx_world, "101", "107")

    async def as_(name: str, action: str, body: Any = None) -> tuple[int, str]:
        path = segment_path(pbx_world, "107", gina_leg, action)
        async with client.post(path, json=body, headers=basic(name, f"{name}-pw")) as r:
            return r.status, "" if r.status == 204 else (await r.json())["error"]

    forbidden = (403, "action-forbidden")
    dest = {"destinationNumber": "100"}
    # to view is not to control; nor is a DND right
    for name in ("watch", "dnd"):
        assert await as_(name, "hangup") == forbidden
        assert await as_(name, "transfer", dest) == forbidden
    # the body (400) before the right, the right before the value (422)
    assert await as_("watch", "transfer", {"destinationNumber": "1;2"}) == forbidden
    async with client.post(
        segment_path(pbx_world, "107", gina_leg, "hangup"),
        data=b"{",
        headers={**basic("watch", "watch-pw"), "Content-Type": "application/json"},
    ) as r:
        assert r.status == 400
    assert pbx.action_count("Hangup") == pbx.action_count("BlindTransfer") == 0
    # the control grant acts
    assert await as_("ctl", "transfer", dest) == (204, "")
    assert pbx.action_count("BlindTransfer") == 1


async def test_linked_users_admins_and_all_grants_control_their_calls(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await started(start_bridge, pbx)
    # alice (linked) owns 100 and 108, not 101; the viewer holds "all" on 100 and 101
    _, alice, bob = await live_call(client, pbx, pbx_world, "100", "101")
    status, body = await post(client, segment_path(pbx_world, "101", bob, "hangup"), None, "linked")
    assert (status, body["error"]) == (403, "forbidden")  # not even visible to alice's account
    assert (await post(client, segment_path(pbx_world, "100", alice, "hangup"), None, "linked"))[
        0
    ] == 204
    await eventually(lambda: _none_left(client, pbx_world))
    _, alice, bob = await live_call(client, pbx, pbx_world, "100", "101")
    assert (await post(client, segment_path(pbx_world, "101", bob, "hangup"), None, "viewer"))[
        0
    ] == 204
    await eventually(lambda: _none_left(client, pbx_world))
    _, alice, _ = await live_call(client, pbx, pbx_world, "100", "101")
    assert (await post(client, segment_path(pbx_world, "100", alice, "hangup")))[0] == 204
    assert pbx.action_count("Hangup") == 3


async def test_a_transfer_takes_from_the_originate_allowance(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    """A transfer can send the other party to an outside number: toll fraud, as originate."""
    client = await start_bridge(
        ami=FAST_AMI, limits={"originate_per_minute": 1, "originate_burst": 1, "actions_burst": 5}
    )
    await connected(client, pbx)
    _, mine, _ = await live_call(client, pbx, pbx_world, "100", "101")
    desk = ext_path(pbx_world, "108")
    assert (await post(client, f"{desk}/originate", {"destinationNumber": "9"}))[0] == 204
    path = segment_path(pbx_world, "100", mine, "transfer")
    status, body = await post(client, path, {"destinationNumber": "107"})
    assert (status, body["error"]) == (429, "rate-limited")
    # the rate before the value: a bad number is 429 too, while the allowance is spent
    assert (await post(client, path, {"destinationNumber": "1;2"}))[0] == 429
    assert pbx.action_count("BlindTransfer") == 0
    # a hangup places no call: it takes from the action allowance alone (5 - 1 originate)
    hangup = segment_path(pbx_world, "100", mine, "hangup")
    assert (await post(client, hangup))[0] == 204
    await eventually(lambda: _none_left(client, pbx_world))
    statuses = [(await post(client, hangup))[0] for _ in range(4)]
    assert statuses == [404, 404, 404, 404]  # the path decides before the allowance


async def test_the_action_allowance_covers_hangups(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await start_bridge(ami=FAST_AMI, limits={"actions_per_minute": 1, "actions_burst": 2})
    await connected(client, pbx)
    assert (await post(client, f"{ext_path(pbx_world)}/enableDnd"))[0] == 204
    _, mine, theirs = await live_call(client, pbx, pbx_world, "100", "101")
    assert (await post(client, segment_path(pbx_world, "101", theirs, "hangup")))[0] == 204
    await eventually(lambda: _none_left(client, pbx_world))
    _, mine, _ = await live_call(client, pbx, pbx_world, "100", "101")
    status, body = await post(client, segment_path(pbx_world, "100", mine, "hangup"))
    assert (status, body["error"]) == (429, "rate-limited")
    assert pbx.action_count("Hangup") == 1


async def test_link_down_is_503_at_once(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await started(start_bridge, pbx)
    _, mine, _ = await live_call(client, pbx, pbx_world, "100", "101")
    await pbx.stop()
    await eventually(lambda: _is_not_connected(client))
    async with asyncio.timeout(1.0):  # whether the call is still up is not known: 503, at once
        for action in ("hangup", "transfer"):
            status, body = await post(
                client, segment_path(pbx_world, "100", mine, action), {"destinationNumber": "107"}
            )
            assert (status, body["error"]) == (503, "ami-unavailable")
    # the order holds while the link is down: the right (403) and the value (422) come first
    status, body = await post(
        client, segment_path(pbx_world, "100", mine, "transfer"), {"destinationNumber": "1;2"}
    )
    assert (status, body["error"]) == (422, "destination-invalid")


async def test_call_actions_are_audited(
    pbx_world: World, seed: Seed, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    watch = await seed.account("watch", "watch-pw")
    await seed.grant(watch, await seed.permission_of(models.CoreServer, pbx_world.cs))
    await seed.grant(watch, pbx_world.ext_permission)  # views 100 and 101, controls nothing
    client = await started(start_bridge, pbx)
    _, _, theirs = await live_call(client, pbx, pbx_world, "100", "101")
    transfer = segment_path(pbx_world, "101", theirs, "transfer")
    assert (await post(client, transfer, {"destinationNumber": "x;y"}))[0] == 422
    assert (await post(client, transfer, {"destinationNumber": "107"}, "linked"))[0] == 403
    async with client.post(
        transfer, json={"destinationNumber": "107"}, headers=basic("watch", "watch-pw")
    ) as response:
        assert response.status == 403
    assert (await post(client, transfer, {"destinationNumber": "(107)"}))[0] == 204
    await eventually(lambda: _has_segments(client, pbx_world, "107"))
    [alice] = await segments(client, pbx_world, "100")
    assert (await post(client, segment_path(pbx_world, "100", alice, "hangup")))[0] == 204
    await client.app[audit_key].flush()
    status, entries = await call(client, "GET", AUDIT)
    assert status == 200
    got = [
        (e["account"], e["extensionNumber"], e["action"], e["destination"], e["status"])
        for e in entries
    ]
    assert got == [
        ("admin", "100", "hangup", alice["channel"], 204),
        ("admin", "101", "transfer", "107", 204),
        ("watch", "101", "transfer", None, 403),
        ("admin", "101", "transfer", None, 422),
    ]  # newest first; linked's 403 is the path's (101 is not alice's): no action
    assert entries[0]["amiActionId"] == pbx.actions("Hangup")[0].message["ActionID"]
    assert entries[1]["amiActionId"] == pbx.actions("BlindTransfer")[0].message["ActionID"]
    assert [e["outcome"] for e in entries[2:]] == ["action-forbidden", "destination-invalid"]
