"""The benchmark helpers: a consistent synthetic event stream, and the blast that sends it."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from bridge.ami.protocol import AmiParser, Header, Message, encode
from bridge.pbxsim import SimulatedPbx, realistic_event_stream
from tests.pbxsim.client import AmiTestClient
from tests.pbxsim.flows import assert_channels_consistent

NUMBERS = [str(n) for n in range(4200, 4210)]


def test_the_stream_is_consistent() -> None:
    events = [Message(h) for h in realistic_event_stream(NUMBERS, 300, seed=7)]
    kinds = Counter(m["Event"] for m in events)
    assert kinds["Newchannel"] == kinds["Hangup"] == 600
    assert {"DialBegin", "DialEnd", "Newstate", "BridgeEnter", "DeviceStateChange"} <= set(kinds)
    assert assert_channels_consistent(events) == set()
    last: dict[str, str] = {}
    in_call: dict[str, int] = Counter()
    for message in events:
        if message["Event"] == "DeviceStateChange":
            last[message["Device"]] = message["State"]
        if message["Event"] == "Newchannel" and message["Channel"].startswith("PJSIP/42"):
            device = message["Channel"].rpartition("-")[0]
            in_call[device] += 1
            assert in_call[device] == 1, f"{device} in two calls at once"
        if message["Event"] == "Hangup" and message["Channel"].startswith("PJSIP/42"):
            in_call[message["Channel"].rpartition("-")[0]] -= 1
    assert set(last.values()) == {"NOT_INUSE"} and len(last) == len(NUMBERS)
    bridges = Counter(m["BridgeUniqueid"] for m in events if m["Event"] == "BridgeEnter")
    assert set(bridges.values()) == {2}
    again = [Message(h) for h in realistic_event_stream(NUMBERS, 300, seed=7)]
    assert again == events  # deterministic for a seed


def test_the_stream_needs_two_phones() -> None:
    with pytest.raises(ValueError, match="two"):
        next(realistic_event_stream(["4224"], 1))


async def test_blast_reaches_logged_in_sessions(pbx: SimulatedPbx) -> None:
    quiet = await AmiTestClient.connect(pbx.port)
    await quiet.login(Events="off")
    client = await AmiTestClient.connect(pbx.port)
    await client.login()
    await client.until("Event", "SuccessfulAuth")
    events = list(realistic_event_stream(NUMBERS, 500, seed=1))
    encoded: list[bytes | list[Header]] = [encode(events[0]), *events[1:]]  # bytes or headers
    async with asyncio.timeout(20):
        sent = await pbx.blast(encoded)
        received = [await client.message() for _ in range(sent)]
        quiet.send({"Action": "Ping", "ActionID": "quiet"})
        quiet_saw = await quiet.until("ActionID", "quiet")
    for each in (client, quiet):
        await each.close()
    assert sent == len(events) > 5000
    assert received == [Message(h) for h in events]
    assert quiet_saw["Ping"] == "Pong"  # nothing blasted came before its answer


async def test_blast_waits_for_a_slow_reader(pbx: SimulatedPbx) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", pbx.port)
    writer.write(b"Action: Login\r\nUsername: bridge\r\nSecret: bridge-secret\r\n\r\n")
    async with asyncio.timeout(20):
        await pbx.wait_for_logins(1)
        [session] = pbx.sessions()
        payload = encode(next(realistic_event_stream(NUMBERS, 1)))
        blasting = asyncio.create_task(pbx.blast([payload] * 100_000, session=session))
        # Nobody reads: the socket buffers fill and the blast must be held by drain().
        done, _ = await asyncio.wait({blasting}, timeout=0.3)
        assert not done
        parser, messages = AmiParser(), 0
        while messages < 100_000 + 3:  # banner is no message; login answer, 2 events
            data = await reader.read(1 << 20)
            assert data, "closed early"
            messages += len(parser.feed(data))
        assert await blasting == 100_000
    writer.close()
    await writer.wait_closed()
