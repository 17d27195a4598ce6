"""Call segments after a sync that finds calls already up: a queue call's agent leg (application
``AppQueue``, see ``core_show_channels_queue_call``) is incoming and keeps the trunk's DID;
``startTime`` is now minus the channel's ``Duration`` and ``answerTime`` Asterisk's CDR answer
time (``Getvar Channel=... Variable=CDR(answer,u)``), never the time of the sync; after a
reconnect everything known before it stays."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bridge.keys import live_key
from bridge.live.asks import cdr_time
from bridge.pbxsim import SimulatedPbx, phone_lab_config
from bridge.pbxsim.channels import Channel
from bridge.timeutil import iso_utc
from tests.api.test_event_stream import started
from tests.api.test_extension_actions import connected
from tests.conftest import StartBridge
from tests.live.test_live_api import eventually, get
from tests.replays import NAMES, PjsipWorld
from tests.support import P

DID = "18005550100"
CDR_ANSWER = "CDR(answer,u)"


@pytest.fixture
async def pbx() -> AsyncIterator[SimulatedPbx]:
    """The chan_pjsip lab: phones 4224-4226, DID 18005550100 into queue ``support`` (4224)."""
    config = phone_lab_config(NAMES, queues={"support": ["PJSIP/4224"]})
    async with SimulatedPbx(login_failure_delay=0.01, call_duration=None, config=config) as sim:
        yield sim


def segments_path(world: PjsipWorld, number: str) -> str:
    return f"{P}/coreServers/{world.cs}/extensions/getByName/{number}/callSegments"


async def segments(client: TestClient[Any, Any], world: PjsipWorld, number: str) -> list[Any]:
    return list(await get(client, segments_path(world, number)))


def seconds(text: str) -> float:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def answered_queue_call(pbx: SimulatedPbx, up_for: float, answered_after: float) -> Channel:
    """An outside caller's DID call through the queue, answered by 4224; its channels were
    made ``up_for`` seconds ago and the agent answered ``answered_after`` seconds into it (the
    agent leg's CDR says so). Returns the agent's channel."""
    call = pbx.queue_call("5551234", "support", "PJSIP/4224", did=DID, caller_name="Outside")
    assert call.callee is not None
    for channel in call.channels:
        channel.created -= up_for
    start = time.time() - up_for
    call.callee.variables[CDR_ANSWER] = f"{start + answered_after:.6f}"
    return call.callee


async def test_a_queue_call_found_by_the_first_sync_is_incoming_with_asterisks_times(
    pjsip_world: PjsipWorld, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    agent = answered_queue_call(pbx, up_for=10, answered_after=4)
    before = time.time()
    client = await started(start_bridge, pbx)
    after = time.time()
    [segment] = await segments(client, pjsip_world, "4224")
    assert segment["channel"] == agent.name
    assert (segment["incoming"], segment["did"], segment["type"]) == (True, DID, "EXTERNAL")
    assert segment["callerId"]["number"] == "5551234"
    # CoreShowChannels' Duration is in whole seconds: the start is now - 10 s, within a second
    assert before - 11 <= seconds(segment["startTime"]) <= after - 9
    assert segment["answerTime"] == iso_utc(float(agent.variables[CDR_ANSWER]))
    asked = [
        (r.message.get("Channel"), r.message.get("Variable"))
        for r in pbx.actions("Getvar")
        if r.message.get("Channel")
    ]
    assert asked == [(agent.name, CDR_ANSWER)]  # the trunk's channel is no extension's


async def test_a_channel_asterisk_did_not_answer_has_no_answer_time(
    pjsip_world: PjsipWorld, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    """An empty CDR(answer,u) (``0.000000`` on Asterisk when unanswered) is no answer."""
    agent = answered_queue_call(pbx, up_for=3, answered_after=0)
    agent.variables[CDR_ANSWER] = "0.000000"
    client = await started(start_bridge, pbx)
    [segment] = await segments(client, pjsip_world, "4224")
    assert segment["answerTime"] is None


async def test_a_reconnect_keeps_everything_known_of_a_queue_call(
    pjsip_world: PjsipWorld, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await started(start_bridge, pbx)
    pbx.queue_call("5551234", "support", "PJSIP/4224", did=DID, caller_name="Outside")

    async def up() -> bool:
        found = await segments(client, pjsip_world, "4224")
        return bool(found and found[0]["state"] == "Up")

    await eventually(up)
    before = await segments(client, pjsip_world, "4224")
    assert (before[0]["incoming"], before[0]["did"]) == (True, DID)
    pbx.drop_connections()
    await connected(client, pbx, logins=2)
    live = client.app[live_key].server(pjsip_world.cs)
    await eventually(lambda: live.synced)
    assert await segments(client, pjsip_world, "4224") == before
    assert not [r for r in pbx.actions("Getvar") if r.message.get("Channel")]  # all known


def test_cdr_times_are_read_as_asterisk_writes_them_raw() -> None:
    assert cdr_time("1795991935.123456") == 1795991935.123456
    assert cdr_time("0.000000") is None  # not answered
    assert cdr_time("") is None
    for formatted in ("2026-11-29 22:38:55", "nan", "inf"):
        with pytest.raises(ValueError):
            cdr_time(formatted)
