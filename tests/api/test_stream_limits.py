"""The event stream held by a hostile client: streams per account, client messages bounded in
size, depth and rate, and nothing after the upgrade turns into an HTTP answer."""

from __future__ import annotations

import json

import aiohttp
import pytest

from bridge.keys import hub_key
from bridge.pbxsim import SimulatedPbx
from tests.api.test_event_stream import WS, next_event, open_stream, started
from tests.conftest import StartBridge
from tests.support import basic
from tests.world import World


async def test_an_account_holds_a_bounded_number_of_streams(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await started(start_bridge, pbx, events={"max_streams_per_account": 3})
    streams = [await open_stream(client) for _ in range(3)]
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await client.ws_connect(WS, headers=basic("admin", "admin-pw"))
    assert refused.value.status == 429
    async with client.get(WS, headers=basic("admin", "admin-pw")) as response:
        assert (await response.json())["error"] == "too-many-streams"
        assert int(response.headers["Retry-After"]) >= 1
    other = await open_stream(client, "viewer")  # another account has its own
    await streams.pop().close()
    streams.append(await open_stream(client))  # a closed stream frees its place
    for ws in (*streams, other):
        await ws.close()


async def test_a_deeply_nested_message_is_an_error_reply_not_a_broken_stream(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await started(start_bridge, pbx)
    ws = await open_stream(client)
    for nested in ("[" * 20000, '{"type": "filter", "filters": ' + "[" * 10000):
        await ws.send_str(nested)
        assert (await next_event(ws, "error"))["error"] == "invalid-json"
    await ws.send_json({"type": "filter", "filters": [{"property": "type", "value": "x"}]})
    assert (await next_event(ws, "filter"))["filters"][0]["value"] == "x"
    await ws.close()


async def test_filters_are_bounded(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await started(start_bridge, pbx)
    ws = await open_stream(client)
    many = [{"property": "extensionNumber", "value": str(n)} for n in range(501)]
    await ws.send_json({"type": "filter", "filters": many})
    assert (await next_event(ws, "error"))["error"] == "invalid-filter"
    long_value = [{"property": "extensionId", "value": "x" * 201}]
    await ws.send_json({"type": "filter", "filters": long_value})
    assert (await next_event(ws, "error"))["error"] == "invalid-filter"
    # a message over 32 KiB closes the stream (1009, message too big)
    await ws.send_str(json.dumps({"type": "filter", "filters": [], "pad": "x" * 40000}))
    closed = await ws.receive(timeout=5)
    while closed.type is aiohttp.WSMsgType.TEXT:  # events already on their way (other links)
        assert json.loads(closed.data)["type"] == "coreServer.amiStatus", closed.data
        closed = await ws.receive(timeout=5)
    assert closed.type is aiohttp.WSMsgType.CLOSE and closed.data == 1009


async def test_a_client_flooding_messages_is_closed(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await started(start_bridge, pbx)
    calm = await open_stream(client, "viewer")
    flood = await open_stream(client)
    message = json.dumps({"type": "filter", "filters": [{"property": "type", "value": "x"}]})
    for _ in range(200):
        await flood.send_str(message)
    replies = 0
    while (answer := await flood.receive(timeout=5)).type is aiohttp.WSMsgType.TEXT:
        replies += 1
    assert answer.type is aiohttp.WSMsgType.CLOSE and answer.data == 1008
    assert replies <= 11  # the burst, then the close
    # the others go on
    await calm.send_json({"type": "filter", "filters": []})
    await next_event(calm, "filter")
    assert len(client.app[hub_key]) == 1
    await calm.close()


async def test_reconnecting_does_not_renew_the_allowance(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    """The message allowance is the account's too: a client closed for flooding gets no fresh
    one by reconnecting. Binary frames count like text ones."""
    client = await started(start_bridge, pbx)
    message = json.dumps({"type": "filter", "filters": [{"property": "type", "value": "x"}]})
    replies = closed_early = 0
    for _ in range(15):
        ws = await open_stream(client)
        for n in range(10):  # within one stream's burst; half of them binary
            if n % 2:
                await ws.send_bytes(message.encode())
            else:
                await ws.send_str(message)
        answered = 0
        while answered < 5:  # the text messages are answered, the binary ones ignored
            answer = await ws.receive(timeout=5)
            if answer.type is not aiohttp.WSMsgType.TEXT:
                assert (answer.type, answer.data) == (aiohttp.WSMsgType.CLOSE, 1008)
                closed_early += 1
                break
            if json.loads(answer.data)["type"] == "coreServer.amiStatus":  # other links' news
                continue
            answered += 1
            replies += 1
        await ws.close()
    # the account's burst (60 messages: 30 answered) and what refilled meanwhile (5 a second)
    assert replies <= 45
    assert closed_early >= 5
    calm = await open_stream(client, "viewer")  # another account has its own
    await calm.send_str(message)
    assert (await next_event(calm, "filter"))["type"] == "filter"
    await calm.close()
