"""``bridge serve`` with ``[http] tls_certificate`` and ``tls_key``: HTTPS on its own port, no
plain HTTP answered there, and files that cannot be used refused at start-up by name."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import aiohttp
import pytest

from bridge.listener import tls_context
from bridge.settings import ConfigError, HttpSettings
from tests.commands.run import bridge
from tests.support import free_port
from tests.test_connections import (
    FILE_LIMIT,
    IDLE,
    all_but_closed_by_server,
    all_closed_by_server,
    open_idle,
)
from tests.test_serve import serving
from tests.tls import TestCa
from tests.world import World


async def test_serves_https_and_no_plain_http(
    world: World, database_url: str, tmp_path: Path, test_ca: TestCa
) -> None:
    certificate, key = test_ca.cert_files("127.0.0.1")
    async with serving(
        database_url,
        tmp_path,
        BRIDGE_HTTP_TLS_CERTIFICATE=str(certificate),
        BRIDGE_HTTP_TLS_KEY=str(key),
    ) as (port, log, _):
        async with (
            aiohttp.ClientSession() as session,
            session.get(
                f"https://127.0.0.1:{port}/healthz", ssl=test_ca.client_context()
            ) as response,
        ):
            assert response.status == 200
            assert (await response.json())["status"] in ("ok", "degraded")
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        async with asyncio.timeout(10):
            answer = await reader.read()  # until the server closes
        writer.close()
        assert not answer.startswith(b"HTTP/") and b"status" not in answer
    assert f"listening on https://127.0.0.1:{port}" in log.read_text()


def test_tls_context_asks_for_tls_1_2_at_least(test_ca: TestCa) -> None:
    certificate, key = test_ca.cert_files()
    context = tls_context(HttpSettings(tls_certificate=str(certificate), tls_key=str(key)))
    assert context is not None and context.minimum_version is ssl.TLSVersion.TLSv1_2
    assert tls_context(HttpSettings()) is None


@pytest.mark.parametrize(
    ("broken", "named"),
    [
        ("missing certificate", "http.tls_certificate"),
        ("missing key", "http.tls_key"),
        ("key of another certificate", "http.tls_key"),
        ("certificate not PEM", "http.tls_certificate"),
        ("certificate alone", "http.tls_key"),
    ],
)
async def test_unusable_files_stop_start_up_by_name(
    tmp_path: Path, test_ca: TestCa, other_ca: TestCa, broken: str, named: str
) -> None:
    certificate, key = test_ca.cert_files()
    env = {"BRIDGE_HTTP_TLS_CERTIFICATE": str(certificate), "BRIDGE_HTTP_TLS_KEY": str(key)}
    if broken == "missing certificate":
        env["BRIDGE_HTTP_TLS_CERTIFICATE"] = str(tmp_path / "nope.pem")
    elif broken == "missing key":
        env["BRIDGE_HTTP_TLS_KEY"] = str(tmp_path / "nope.key")
    elif broken == "key of another certificate":
        env["BRIDGE_HTTP_TLS_KEY"] = str(other_ca.cert_files()[1])
    elif broken == "certificate not PEM":
        certificate.write_text("hello\n")
    else:
        del env["BRIDGE_HTTP_TLS_KEY"]
    url = f"sqlite+aiosqlite:///{tmp_path / 'never-opened.db'}"
    code, _, err = await bridge("serve", url=url, BRIDGE_HTTP_PORT=str(free_port()), **env)
    assert code == 2, err
    assert named in err and "Traceback" not in err
    assert not (tmp_path / "never-opened.db").exists()  # refused before touching anything


def test_an_encrypted_key_is_refused_without_a_prompt(test_ca: TestCa) -> None:
    certificate, key = test_ca.cert_files()
    key.write_bytes(_encrypted(key.read_bytes()))
    with pytest.raises(ConfigError, match=r"http\.tls_key"):
        tls_context(HttpSettings(tls_certificate=str(certificate), tls_key=str(key)))


def _encrypted(pem: bytes) -> bytes:
    from cryptography.hazmat.primitives import serialization

    private = serialization.load_pem_private_key(pem, password=None)
    return private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"passphrase"),
    )


def test_a_path_with_a_nul_is_named_not_a_traceback(test_ca: TestCa) -> None:
    _, key = test_ca.cert_files()
    with pytest.raises(ConfigError, match=r"http\.tls_certificate"):
        tls_context(HttpSettings(tls_certificate="cert\0.pem", tls_key=str(key)))


async def test_silent_tls_connections_count_against_the_caps_and_time_out(
    world: World, database_url: str, tmp_path: Path, test_ca: TestCa
) -> None:
    """With HTTPS, a connection that never starts its handshake is held no longer, and counts no
    less, than a plain one: the caps apply from the accept, the header timeout to the
    handshake. Another client address is served meanwhile; the file limit is never reached."""
    certificate, key = test_ca.cert_files("127.0.0.1")
    async with serving(
        database_url,
        tmp_path,
        FILE_LIMIT,
        BRIDGE_HTTP_TLS_CERTIFICATE=str(certificate),
        BRIDGE_HTTP_TLS_KEY=str(key),
        BRIDGE_HTTP_MAX_CONNECTIONS_PER_ADDRESS="20",
        BRIDGE_HTTP_HEADER_TIMEOUT="2",
    ) as (port, log, _):
        idle = await open_idle(port, IDLE)
        try:
            # past the per-address cap: closed at once, before any TLS
            await all_but_closed_by_server(idle, 20)
            elsewhere = aiohttp.TCPConnector(local_addr=("127.0.0.2", 0))
            async with (
                aiohttp.ClientSession(connector=elsewhere) as session,
                session.get(
                    f"https://127.0.0.1:{port}/healthz", ssl=test_ca.client_context()
                ) as response,
            ):
                assert response.status == 200
            # and the twenty let in are closed once the handshake's time is up
            await all_closed_by_server(idle)
        finally:
            for _, writer in idle:
                writer.close()
    text = log.read_text()
    assert "accept() failed" not in text and "Traceback" not in text
    assert "(cap 20 per address)" in text
