"""The simulated PBX against the recorded captures, byte for byte after normalisation."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from types import MappingProxyType

import pytest

from bridge.pbxsim import SimulatedPbx, pjsip_lab_config
from tests.captures import load, normalise, read_messages, replay
from tests.tls import TestCa


def _strict(pbx: SimulatedPbx) -> None:
    pbx.config.dialplan.strict = True  # the lab PBX: no such context, no channel


def _member_before_queue_call(pbx: SimulatedPbx) -> None:
    member = pbx.config.queues["support"].members[0]
    member.calls_taken, member.last_call = 1, 1795834291


def _lab_leftovers(pbx: SimulatedPbx) -> None:
    # The lab's device state cache kept the pause device of an earlier test's member 4225
    # (device_state_lists_during_call lists it): adding 4225 again changes nothing there.
    pbx.remember_device_state("Queue:support_pause_Local/4225@internal", "NOT_INUSE")
    # queue_pause_reason, recorded just before, paused and unpaused the static member.
    pbx.config.queues["support"].members[0].last_pause = 1795990986


def _challenge(challenge: str) -> Callable[[SimulatedPbx], None]:
    def fix(pbx: SimulatedPbx) -> None:
        pbx.challenge = challenge  # the capture's Key was computed from this one

    return fix


SETUP: Mapping[str, Callable[[SimulatedPbx], None]] = MappingProxyType(
    {
        "originate_failure": _strict,
        "call_event_stream": _member_before_queue_call,
        "login_md5_challenge": _challenge("180952529"),
        "login_md5_bad_key": _challenge("776984048"),
        "queue_add_remove": _lab_leftovers,
    }
)

BYTE_FOR_BYTE = (
    "login_success",
    "login_bad_secret",
    "login_md5_challenge",
    "login_md5_bad_key",
    "login_unknown_user",
    "login_pipelined",
    "login_bad_secret_pipelined",
    "action_before_login",
    "unknown_action",
    "ping_and_command",
    "originate_missing_channel",
    "originate_events_off",
    "originate_failure",
    "call_event_stream",
    "db_put",
    "db_get_existing",
    "db_get_missing",
    "db_get_tree",
    "db_del_existing",
    "db_del_missing",
    "setvar_device_state",
    "extension_state",
    "queue_status",
    "queue_pause_reason",
    "queue_add_remove",
)


@pytest.mark.parametrize("name", BYTE_FOR_BYTE)
async def test_replayed_capture_matches(pbx: SimulatedPbx, name: str) -> None:
    if name in SETUP:
        SETUP[name](pbx)
    capture = load(name)
    received = await replay(capture, pbx.port)
    assert normalise(received) == normalise(capture.server_bytes)


async def test_replayed_pjsip_inventory_matches() -> None:
    # PJSIPShowEndpoints, PJSIPShowEndpoint of 4224 and of an unknown endpoint, the hints
    capture = load("pjsip/pjsip_inventory")
    async with SimulatedPbx(login_failure_delay=0.01, config=pjsip_lab_config()) as pbx:
        received = await replay(capture, pbx.port)
    assert b"Event: EndpointDetail\r\n" in received
    assert normalise(received) == normalise(capture.server_bytes)


async def test_replayed_tls_capture_matches(test_ca: TestCa) -> None:
    capture = load("login_tls")
    async with SimulatedPbx(login_failure_delay=0.01, ssl=test_ca.server_context()) as pbx:
        received = await replay(capture, pbx.port, ssl=test_ca.client_context())
    assert "IPV4/TLS/" in normalise(received)
    assert normalise(received) == normalise(capture.server_bytes)


def test_normalise_keeps_what_must_not_vary() -> None:
    one = b"Event: X\r\nUniqueid: 1795834420.33\r\nLinkedid: 1795834420.33\r\n\r\n"
    two = b"Event: X\r\nUniqueid: 1700000000.1\r\nLinkedid: 1700000000.2\r\n\r\n"
    assert normalise(one) != normalise(two)  # a broken Linkedid relation still shows
    assert normalise(b"Response: Error\r\n\r\n") != normalise(b"Response: Success\r\n\r\n")
    tcp = b"LocalAddress: IPV4/TCP/127.0.0.1/5038\r\nRemoteAddress: IPV4/TCP/127.0.0.1/1\r\n\r\n"
    assert normalise(tcp) != normalise(tcp.replace(b"TCP", b"TLS"))  # the transport shows
    paused = b"LastPause: 1795990986\r\nLoginTime: 1795990116\r\n\r\n"
    assert normalise(paused) == normalise(b"LastPause: 1700000002\r\nLoginTime: 1700000001\r\n\r\n")
    assert normalise(paused) != normalise(paused.replace(b"1795990986", b"0"))  # never paused


async def test_shutdown_event_reaches_sessions_then_they_close(pbx: SimulatedPbx) -> None:
    capture = load("shutdown_event")
    login = capture.steps[1].sent
    assert login.startswith(b"Action: Login\r\n")
    reader, writer = await asyncio.open_connection("127.0.0.1", pbx.port)
    other_reader, other_writer = await asyncio.open_connection("127.0.0.1", pbx.port)
    try:
        async with asyncio.timeout(10):
            received = await read_messages(reader, 1)
            writer.write(login)
            received += await read_messages(reader, 3)
            other_writer.write(login)  # another client logs in meanwhile
            received += await read_messages(reader, 1)
            await pbx.shutdown()
            received += await reader.read()
            assert reader.at_eof() and await other_reader.read(), "sessions stay open"
    finally:
        for w in (writer, other_writer):
            w.close()
            await w.wait_closed()
    assert normalise(received) == normalise(capture.server_bytes)
