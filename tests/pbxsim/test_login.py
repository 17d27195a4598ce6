"""The simulated PBX's MD5 challenge login and its TLS listener (Asterisk's manager.c
``action_challenge`` and ``authenticate``, and the Asterisk 22 captures)."""

from __future__ import annotations

import asyncio
import hashlib
import ssl

import pytest

from bridge.ami.protocol import Message
from bridge.pbxsim import SimulatedPbx
from tests.pbxsim.client import AmiTestClient
from tests.tls import TestCa

CHALLENGE = {"Action": "Challenge", "ActionID": "challenge", "AuthType": "MD5"}


def md5_key(challenge: str, secret: str) -> str:
    return hashlib.md5((challenge + secret).encode(), usedforsecurity=False).hexdigest()


async def challenge_of(client: AmiTestClient, **headers: str) -> Message:
    client.send({**CHALLENGE, **headers})
    return await client.until("ActionID", "challenge")


async def md5_login(client: AmiTestClient, key: str) -> Message:
    client.send(
        {
            "Action": "Login",
            "ActionID": "login",
            "AuthType": "MD5",
            "Username": "bridge",
            "Key": key,
            "Events": "on",
        }
    )
    return await client.until("ActionID", "login")


async def test_a_challenge_is_a_number_per_session_and_stays_for_the_session(
    pbx: SimulatedPbx,
) -> None:
    first, second = await AmiTestClient.connect(pbx.port), await AmiTestClient.connect(pbx.port)
    async with asyncio.timeout(5):
        answer = await challenge_of(first)
        again = await challenge_of(first, AuthType="md5")  # any case, as strcasecmp
        other = await challenge_of(second)
    for client in (first, second):
        await client.close()
    assert answer.keys() == ["Response", "ActionID", "Challenge"]  # no Message header
    assert answer["Response"] == "Success" and answer["Challenge"].isdigit()
    assert len(answer["Challenge"]) <= 9  # Asterisk's buffer holds nine digits
    assert again["Challenge"] == answer["Challenge"]
    assert other["Challenge"] != answer["Challenge"]


async def test_an_md5_key_logs_in_and_a_wrong_one_fails_like_a_wrong_secret(
    pbx: SimulatedPbx,
) -> None:
    good, bad = await AmiTestClient.connect(pbx.port), await AmiTestClient.connect(pbx.port)
    async with asyncio.timeout(5):
        challenge = (await challenge_of(good))["Challenge"]
        accepted = await md5_login(good, md5_key(challenge, "bridge-secret"))
        booted = await good.until("Event", "FullyBooted")
        challenge = (await challenge_of(bad))["Challenge"]
        refused = await md5_login(bad, md5_key(challenge, "wrong-secret"))
        assert await bad.closed()
    for client in (good, bad):
        await client.close()
    assert (accepted["Response"], accepted["Message"]) == ("Success", "Authentication accepted")
    assert booted["Status"] == "Fully Booted"
    assert (refused["Response"], refused["Message"]) == ("Error", "Authentication failed")
    assert (pbx.login_attempts, pbx.failed_logins) == (2, 1)


@pytest.mark.parametrize(
    "key",
    [
        "",  # no key at all
        "upper",  # the right key in capitals: Asterisk compares with strcmp
    ],
)
async def test_md5_keys_are_compared_exactly(pbx: SimulatedPbx, key: str) -> None:
    client = await AmiTestClient.connect(pbx.port)
    async with asyncio.timeout(5):
        challenge = (await challenge_of(client))["Challenge"]
        right = md5_key(challenge, "bridge-secret")
        refused = await md5_login(client, right.upper() if key == "upper" else key)
        assert await client.closed()
    await client.close()
    assert refused["Message"] == "Authentication failed"


async def test_an_md5_login_without_a_challenge_fails(pbx: SimulatedPbx) -> None:
    client = await AmiTestClient.connect(pbx.port)
    async with asyncio.timeout(5):
        refused = await md5_login(client, md5_key("", "bridge-secret"))
        assert await client.closed()
    await client.close()
    assert refused["Message"] == "Authentication failed"


async def test_a_challenge_of_another_kind_is_an_error_and_the_session_stays(
    pbx: SimulatedPbx,
) -> None:
    client = await AmiTestClient.connect(pbx.port)
    async with asyncio.timeout(5):
        refused = await challenge_of(client, AuthType="SHA1")
        client.send({"Action": "Challenge", "ActionID": "challenge"})
        missing = await client.until("ActionID", "challenge")
        assert (await client.login())["Response"] == "Success"
    await client.close()
    for answer in (refused, missing):
        assert (answer["Response"], answer["Message"]) == ("Error", "Must specify AuthType")


async def test_a_tls_listener_speaks_the_same_dialect(test_ca: TestCa) -> None:
    async with SimulatedPbx(login_failure_delay=0.01, ssl=test_ca.server_context()) as pbx:
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", pbx.port, ssl=test_ca.client_context()
        )
        client = AmiTestClient(reader, writer)
        async with asyncio.timeout(5):
            banner = await reader.readline()
            challenge = (await challenge_of(client))["Challenge"]
            accepted = await md5_login(client, md5_key(challenge, "bridge-secret"))
            auth = await client.until("Event", "SuccessfulAuth")
        await client.close()
    assert banner == b"Asterisk Call Manager/11.0.0\r\n"
    assert accepted["Message"] == "Authentication accepted"
    assert auth["LocalAddress"] == f"IPV4/TLS/127.0.0.1/{pbx.port}"
    assert auth["RemoteAddress"].startswith("IPV4/TLS/127.0.0.1/")


async def test_a_tls_listener_reads_nothing_from_a_client_that_refuses_it(
    test_ca: TestCa, other_ca: TestCa
) -> None:
    async with SimulatedPbx(login_failure_delay=0.01, ssl=other_ca.server_context()) as pbx:
        with pytest.raises(ssl.SSLCertVerificationError):
            await asyncio.open_connection("127.0.0.1", pbx.port, ssl=test_ca.client_context())
        assert pbx.actions() == [] and pbx.sessions(logged_in=False) == []
