"""How AmiLink logs in and connects: MD5 challenge by default (the secret never crosses the
wire), plain Secret when told, and TLS checked against a CA and the host name, never skipped.
All against the simulated PBX over real sockets."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bridge.ami.connection import AmiAuth
from bridge.ami.link import LinkState
from bridge.pbxsim import SimulatedPbx
from tests.ami.links import OK, LinkFactory, Recorder, until
from tests.tls import TestCa

# The Asterisk 22 capture's challenge, and md5hex(challenge + 'bridge-secret') as it shows.
CHALLENGE, KEY = "180952529", "7dd8ea33c3f90bdea4a9a6f124ce24a1"
SECRET = "bridge-secret"


def headers_of(pbx: SimulatedPbx, action: str) -> list[list[str]]:
    return [record.message.keys() for record in pbx.actions(action)]


def nothing_secret_received(pbx: SimulatedPbx) -> bool:
    raw = b"".join(record.raw for record in pbx.actions())
    return b"Secret" not in raw and SECRET.encode() not in raw


async def test_md5_login_sends_a_key_and_never_the_secret(
    pbx: SimulatedPbx, make_link: LinkFactory
) -> None:
    pbx.challenge = CHALLENGE
    link = make_link()
    assert await until(link, OK) is OK
    assert [r.name for r in pbx.actions()][:2] == ["Challenge", "Login"]
    challenge, login = pbx.actions("Challenge")[0].message, pbx.actions("Login")[0].message
    assert sorted(challenge.keys()) == ["Action", "ActionID", "AuthType"]
    assert challenge["AuthType"] == "MD5"
    assert sorted(login.keys()) == ["Action", "ActionID", "AuthType", "Events", "Key", "Username"]
    assert (login["AuthType"], login["Username"], login["Key"], login["Events"]) == (
        "MD5",
        "bridge",
        KEY,
        "on",
    )
    assert (await link.send({"Action": "Ping"})).response["Ping"] == "Pong"
    assert nothing_secret_received(pbx)


async def test_md5_with_a_wrong_secret_ends_in_login_failed(
    pbx: SimulatedPbx, make_link: LinkFactory
) -> None:
    link = make_link(secret="wrong-secret")
    assert await until(link, LinkState.LOGIN_FAILED) is LinkState.LOGIN_FAILED
    assert (pbx.failed_logins, pbx.action_count("Challenge")) == (3, 3)  # FAST: 3 attempts
    assert link.status_reason == "authentication failed"
    assert all(h.count("Key") == 1 for h in headers_of(pbx, "Login"))
    assert b"wrong-secret" not in b"".join(record.raw for record in pbx.actions())


async def test_a_refused_challenge_is_a_refused_login(
    pbx: SimulatedPbx, make_link: LinkFactory, caplog: pytest.LogCaptureFixture
) -> None:
    pbx.fail("Challenge", "Must specify AuthType")  # a proxy, say, that knows no MD5
    link = make_link()
    assert await until(link, LinkState.LOGIN_FAILED) is LinkState.LOGIN_FAILED
    assert (pbx.action_count("Challenge"), pbx.login_attempts) == (3, 0)
    assert "Must specify AuthType" in caplog.text
    assert link.status_reason == "MD5 challenge refused"
    assert nothing_secret_received(pbx)


async def test_plain_login_sends_the_secret(pbx: SimulatedPbx, make_link: LinkFactory) -> None:
    link = make_link(auth=AmiAuth.PLAIN)
    assert await until(link, OK) is OK
    assert pbx.action_count("Challenge") == 0
    login = pbx.actions("Login")[0].message
    assert sorted(login.keys()) == ["Action", "ActionID", "Events", "Secret", "Username"]
    assert login["Secret"] == SECRET


async def test_a_line_break_in_the_credentials_never_reaches_the_socket(
    pbx: SimulatedPbx, make_link: LinkFactory, caplog: pytest.LogCaptureFixture
) -> None:
    link = make_link(secret="x\r\nAction: Originate", auth=AmiAuth.PLAIN)  # from admin SQL
    assert await until(link, LinkState.LOGIN_FAILED) is LinkState.LOGIN_FAILED
    assert pbx.actions() == []
    assert "line break" in caplog.text


@pytest.fixture
async def tls_pbx(test_ca: TestCa) -> AsyncIterator[SimulatedPbx]:
    """A simulated PBX listening with TLS, its certificate for 127.0.0.1 signed by ``test_ca``."""
    async with SimulatedPbx(login_failure_delay=0.01, ssl=test_ca.server_context()) as pbx:
        yield pbx


@pytest.fixture
async def make_tls_link(tls_pbx: SimulatedPbx) -> AsyncIterator[LinkFactory]:
    factory = LinkFactory(lambda: tls_pbx.port)
    yield factory
    await factory.close()


async def test_tls_logs_in_when_the_ca_file_names_the_servers_ca(
    tls_pbx: SimulatedPbx, make_tls_link: LinkFactory, test_ca: TestCa
) -> None:
    link = make_tls_link(tls=True, tls_ca=str(test_ca.pem))
    assert await until(link, OK) is OK
    assert link.status_reason is None
    assert [s.transport for s in tls_pbx.sessions()] == ["TLS"]
    assert (await link.send({"Action": "Ping"})).response["Ping"] == "Pong"
    assert tls_pbx.action_count("Challenge") == 1


async def refused(
    factory: LinkFactory,
    pbx: SimulatedPbx,
    tls_ca: str,
    caplog: pytest.LogCaptureFixture,
    host: str = "127.0.0.1",
) -> tuple[str, str | None]:
    """Start a TLS link to ``host`` trusting ``tls_ca``; once two attempts have failed, what it
    logged and its status reason (after checking that it never logged in and that the PBX read
    nothing from it)."""
    caplog.set_level(logging.INFO, logger="bridge.ami")
    recorder = Recorder()
    link = factory(recorder=recorder, tls=True, tls_ca=tls_ca, host=host)
    async with asyncio.timeout(5):
        await recorder.attempts_ended(2)  # it retries, with back-off, as for an unreachable host
    assert OK not in recorder.states and link.state is not OK
    assert pbx.actions() == []  # no Challenge, no Login: nothing was sent in clear
    assert SECRET not in caplog.text
    return caplog.text, link.status_reason


async def test_tls_refuses_a_server_signed_by_another_ca(
    make_tls_link: LinkFactory,
    tls_pbx: SimulatedPbx,
    other_ca: TestCa,
    caplog: pytest.LogCaptureFixture,
) -> None:
    logged, reason = await refused(make_tls_link, tls_pbx, str(other_ca.pem), caplog)
    assert "certificate not trusted" in logged
    assert reason == "certificate not trusted"


async def test_tls_checks_the_host_name(
    test_ca: TestCa, make_link: LinkFactory, caplog: pytest.LogCaptureFixture
) -> None:
    context = test_ca.server_context("pbx.example.org")  # the right CA, another name
    async with SimulatedPbx(login_failure_delay=0.01, ssl=context) as pbx:
        factory = LinkFactory(lambda: pbx.port)
        try:
            logged, reason = await refused(factory, pbx, str(test_ca.pem), caplog)
        finally:
            await factory.close()
    assert "certificate not trusted" in logged and "mismatch" in logged
    assert reason == "host name does not match the certificate"


@pytest.mark.parametrize("ca_file", ["missing.pem", "not-a-certificate.pem", "nul\0.pem"])
async def test_an_unreadable_ca_file_fails_the_link_not_the_service(
    make_tls_link: LinkFactory,
    tls_pbx: SimulatedPbx,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    ca_file: str,
) -> None:
    (tmp_path / "not-a-certificate.pem").write_text("hello\n")
    logged, reason = await refused(make_tls_link, tls_pbx, str(tmp_path / ca_file), caplog)
    assert f"CA file {str(tmp_path / ca_file)!r}" in logged
    assert reason == "cannot read the CA file"


async def test_a_malformed_host_name_fails_the_link_not_the_service(
    make_tls_link: LinkFactory,
    tls_pbx: SimulatedPbx,
    test_ca: TestCa,
    caplog: pytest.LogCaptureFixture,
) -> None:
    logged, reason = await refused(
        make_tls_link, tls_pbx, str(test_ca.pem), caplog, host="pbx..lan"
    )
    assert "not a usable host name" in logged
    assert reason == "not a usable host name"


async def test_a_tls_link_to_a_plain_listener_sends_nothing_in_clear(
    pbx: SimulatedPbx, make_link: LinkFactory, test_ca: TestCa, caplog: pytest.LogCaptureFixture
) -> None:
    logged, reason = await refused(make_link, pbx, str(test_ca.pem), caplog)
    assert "TLS" in logged
    assert reason in ("TLS handshake failed", "connection closed at login")
