"""The bridge's AMI links follow the directory: core servers added, changed, disabled or deleted
by SQL are connected, reconnected or logged off without a restart; /healthz shows each link."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp.test_utils import TestClient

from bridge.ami.connection import AmiAuth, AmiEndpoint, login_action
from bridge.pbxsim import SimulatedPbx
from tests.conftest import StartBridge
from tests.pbx import FAST_AMI
from tests.support import P, Seed, basic, call, free_port, poll_until
from tests.tls import TestCa

CHALLENGE = "180952529"


def key_for(secret: str) -> str:
    """The Key an MD5 login answers the simulator's fixed challenge with."""
    endpoint = AmiEndpoint("h", 1, "bridge", secret, AmiAuth.MD5)
    return login_action(endpoint, CHALLENGE)["Key"]


async def status_of(
    client: TestClient[Any, Any], slug: str, expected: str, reason: str | None = ""
) -> None:
    """Wait until core server ``slug`` shows ``expected`` (and ``reason``, unless "")."""

    async def probe() -> bool:
        status, body = await call(client, "GET", f"{P}/coreServers/getByName/{slug}")
        return (
            status == 200
            and body["amiStatus"] == expected
            and reason in ("", body["amiStatusReason"])
        )

    async with asyncio.timeout(5):
        await poll_until(probe)


async def test_core_servers_added_changed_disabled_by_sql(
    seed: Seed, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    await seed.account("admin", "admin-pw", is_admin=True)
    pbx.challenge = CHALLENGE
    client = await start_bridge(ami=FAST_AMI)
    assert await call(client, "GET", f"{P}/coreServers") == (200, [])

    await seed.core_server(
        "pbx1", ami_port=pbx.port, ami_username="bridge", ami_secret="bridge-secret"
    )
    async with asyncio.timeout(5):
        await pbx.wait_for_logins(1)
    await status_of(client, "pbx1", "connected")
    async with client.get("/healthz", headers=basic("admin", "admin-pw")) as response:
        assert response.status == 200
        health = await response.json()
    assert [(s["slug"], s["amiStatus"]) for s in health["coreServers"]] == [("pbx1", "connected")]
    assert "bridge-secret" not in str(health)

    # a changed secret: logged off, then logged in again with the new one
    pbx.users["bridge"] = type(pbx.users["bridge"])("bridge", "new-secret")
    await seed.sql("UPDATE core_servers SET ami_secret = 'new-secret' WHERE slug = 'pbx1'")
    async with asyncio.timeout(5):
        await pbx.wait_for_logins(2)
    assert pbx.actions("Login")[-1].message["Key"] == key_for("new-secret")
    assert pbx.action_count("Logoff") == 1
    await status_of(client, "pbx1", "connected")

    # a name change alone does not touch the link
    await seed.sql("UPDATE core_servers SET name = 'Renamed' WHERE slug = 'pbx1'")
    await status_of(client, "pbx1", "connected")
    await seed.sql("UPDATE core_servers SET enabled = FALSE WHERE slug = 'pbx1'")
    async with asyncio.timeout(5):
        await pbx.wait_for_sessions(0)
    assert pbx.action_count("Logoff") == 2
    assert pbx.login_attempts == 2

    await seed.sql("UPDATE core_servers SET enabled = TRUE WHERE slug = 'pbx1'")
    async with asyncio.timeout(5):
        await pbx.wait_for_logins(3)
    await seed.sql("DELETE FROM core_servers WHERE slug = 'pbx1'")
    async with asyncio.timeout(5):
        await pbx.wait_for_sessions(0)


async def test_wrong_secret_shows_login_failed(
    seed: Seed, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    await seed.account("admin", "admin-pw", is_admin=True)
    await seed.core_server("pbx1", ami_port=pbx.port, ami_username="bridge", ami_secret="nope")
    client = await start_bridge(ami=FAST_AMI)
    await status_of(client, "pbx1", "loginFailed", "authentication failed")
    assert pbx.failed_logins == FAST_AMI.get("login_attempts", 3)
    async with client.get("/healthz", headers=basic("admin", "admin-pw")) as response:
        health = await response.json()
    assert health["coreServers"][0]["amiStatusReason"] == "authentication failed"


async def test_a_secret_fixed_on_the_pbx_is_picked_up(
    seed: Seed, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    """After loginFailed the link tries again every login_retry_interval (short here; at most
    a minute, see test_backoff), so fixing the PBX side alone brings it up."""
    await seed.account("admin", "admin-pw", is_admin=True)
    await seed.core_server("pbx1", ami_port=pbx.port, ami_username="bridge", ami_secret="fixed")
    client = await start_bridge(ami={**FAST_AMI, "login_retry_interval": 0.2})
    await status_of(client, "pbx1", "loginFailed", "authentication failed")
    pbx.users["bridge"] = type(pbx.users["bridge"])("bridge", "fixed")
    await status_of(client, "pbx1", "connected", None)


async def test_nothing_listening_and_no_such_host_say_so(
    seed: Seed, start_bridge: StartBridge
) -> None:
    await seed.core_server("pbx1", ami_port=free_port(), ami_username="bridge", ami_secret="s")
    # .invalid never resolves (RFC 2606); a generous timeout so a slow resolver still answers
    await seed.core_server("pbx2", ami_host="pbx.nonexistent.invalid", ami_secret="s")
    await seed.account("admin", "admin-pw", is_admin=True)
    client = await start_bridge(ami={**FAST_AMI, "action_timeout": 5.0})
    await status_of(client, "pbx1", "disconnected", "connection refused")
    await status_of(client, "pbx2", "disconnected", "host not found")


async def test_secret_from_the_environment(
    seed: Seed, pbx: SimulatedPbx, start_bridge: StartBridge, monkeypatch: Any
) -> None:
    monkeypatch.setenv("PBX1_AMI_SECRET", "bridge-secret")
    await seed.account("admin", "admin-pw", is_admin=True)
    pbx.challenge = CHALLENGE
    await seed.core_server(
        "pbx1", ami_port=pbx.port, ami_username="bridge", ami_secret="env:PBX1_AMI_SECRET"
    )
    await seed.core_server(
        "pbx2", ami_port=pbx.port, ami_username="bridge", ami_secret="env:NOT_SET_ANYWHERE"
    )
    client = await start_bridge(ami=FAST_AMI)
    await status_of(client, "pbx1", "connected")
    await status_of(client, "pbx2", "loginFailed", "$NOT_SET_ANYWHERE is not set")
    assert pbx.actions("Login")[0].message["Key"] == key_for("bridge-secret")
    assert pbx.login_attempts == 1  # nothing was tried for pbx2


async def test_login_kind_and_tls_changed_by_sql_reconnect(
    seed: Seed, start_bridge: StartBridge, test_ca: TestCa
) -> None:
    await seed.account("admin", "admin-pw", is_admin=True)
    async with (
        SimulatedPbx(login_failure_delay=0.01) as plain,
        SimulatedPbx(login_failure_delay=0.01, ssl=test_ca.server_context()) as tls,
    ):
        await seed.core_server(
            "pbx1", ami_port=plain.port, ami_username="bridge", ami_secret="bridge-secret"
        )
        client = await start_bridge(ami=FAST_AMI)
        async with asyncio.timeout(5):
            await plain.wait_for_logins(1)
        assert plain.action_count("Challenge") == 1  # md5 unless told otherwise

        await seed.sql("UPDATE core_servers SET ami_auth = 'plain' WHERE slug = 'pbx1'")
        async with asyncio.timeout(5):
            await plain.wait_for_logins(2)
        assert plain.actions("Login")[-1].message["Secret"] == "bridge-secret"
        assert plain.action_count("Challenge") == 1

        # TLS without the CA: the link is refused (the system's CAs do not know the test CA)
        await seed.sql(
            "UPDATE core_servers SET ami_tls = TRUE, ami_auth = 'md5', ami_port = :port"
            " WHERE slug = 'pbx1'",
            port=tls.port,
        )
        async with asyncio.timeout(5):
            await plain.wait_for_sessions(0)
        await status_of(client, "pbx1", "disconnected")
        assert tls.login_attempts == 0

        await seed.sql(
            "UPDATE core_servers SET ami_tls_ca = :ca WHERE slug = 'pbx1'", ca=str(test_ca.pem)
        )
        async with asyncio.timeout(5):
            await tls.wait_for_logins(1)
        await status_of(client, "pbx1", "connected")
        assert [s.transport for s in tls.sessions()] == ["TLS"]


async def test_a_replaced_link_logging_off_slowly_leaves_the_new_links_status(
    seed: Seed, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    await seed.account("admin", "admin-pw", is_admin=True)
    await seed.core_server(
        "pbx1", ami_port=pbx.port, ami_username="bridge", ami_secret="bridge-secret"
    )
    client = await start_bridge(ami=FAST_AMI)
    async with asyncio.timeout(5):
        await pbx.wait_for_logins(1)
    pbx.stall("Logoff")  # the old link waits for its Goodbye while the new one logs in
    await seed.sql("UPDATE core_servers SET ami_auth = 'plain' WHERE slug = 'pbx1'")
    async with asyncio.timeout(5):
        await pbx.wait_for_logins(2)
        await pbx.wait_for_sessions(1)  # the old link gave up waiting and closed
    status, body = await call(client, "GET", f"{P}/coreServers/getByName/pbx1")
    assert (status, body["amiStatus"]) == (200, "connected")


async def test_a_silent_listener_shows_timed_out(seed: Seed, start_bridge: StartBridge) -> None:
    """A TLS link to a port that accepts and never answers: the handshake times out."""
    held: list[asyncio.StreamWriter] = []

    async def accept(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)  # kept open, and silent

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        await seed.core_server("pbx1", ami_port=port, ami_tls=True, ami_secret="s")
        await seed.account("admin", "admin-pw", is_admin=True)
        client = await start_bridge(ami={**FAST_AMI, "action_timeout": 0.2})
        await status_of(client, "pbx1", "disconnected", "timed out")
    finally:
        for writer in held:
            writer.close()
        server.close()
