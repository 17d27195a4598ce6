"""/metrics: off by default, Prometheus text when on, behind its own token when set."""

from __future__ import annotations

import re

from bridge.pbxsim import SimulatedPbx
from tests.api.test_event_stream import open_stream
from tests.api.test_extension_actions import connected, ext_path, post
from tests.conftest import StartBridge
from tests.pbx import FAST_AMI
from tests.support import P, call
from tests.world import World

TOKEN = "scrape-token-0123456789"


async def test_off_by_default(world: World, start_bridge: StartBridge) -> None:
    client = await start_bridge()
    async with client.get("/metrics") as response:
        assert response.status == 404
        assert (await response.json())["error"] == "unknown-path"


# a sample line: name{labels} value, the value as Prometheus reads it (12, 0.5, 9.8e-05)
SAMPLE = re.compile(r"[a-z_]+(\{[^}]*\})? -?[0-9]+(\.[0-9]+)?(e[+-][0-9]+)?")


async def test_prometheus_text(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await start_bridge(ami=FAST_AMI, metrics={"enabled": True})
    await connected(client, pbx)
    assert (await call(client, "GET", f"{P}/coreServers/{pbx_world.cs}/extensions"))[0] == 200
    assert (await call(client, "GET", f"{P}/coreServers/nope"))[0] == 404
    assert (await post(client, f"{ext_path(pbx_world)}/enableDnd"))[0] == 204
    ws = await open_stream(client)
    async with client.get("/metrics") as response:
        assert response.status == 200
        assert response.content_type == "text/plain"
        text = await response.text()
    await ws.close()
    lines = text.splitlines()
    assert 'bridge_http_requests_total{route="extension.list",method="GET",status="200"} 1' in lines
    assert (
        'bridge_http_requests_total{route="core_server.one",method="GET",status="404"} 1' in lines
    )
    assert any(
        re.fullmatch(
            r'bridge_http_request_duration_seconds_bucket\{route="extension.list",le="\+Inf"\} 1',
            line,
        )
        for line in lines
    )
    assert 'bridge_ami_actions_total{core_server="default",action="DBPut",outcome="ok"} 1' in lines
    assert 'bridge_ami_link_state{core_server="default",state="connected"} 1' in lines
    assert 'bridge_ami_link_state{core_server="default",state="disconnected"} 0' in lines
    assert "bridge_websocket_clients 1" in lines
    assert any(line.startswith('bridge_ami_events_total{core_server="default"} ') for line in lines)
    assert any(line.startswith("bridge_directory_change_queries_total ") for line in lines)
    for line in lines:  # every sample line parses as name{labels} value
        if not line.startswith("#"):
            assert SAMPLE.fullmatch(line), line
    assert "bridge-secret" not in text and "admin-pw" not in text


async def test_token(world: World, start_bridge: StartBridge) -> None:
    client = await start_bridge(metrics={"enabled": True, "token": TOKEN})
    async with client.get("/metrics") as response:
        assert response.status == 401
    async with client.get("/metrics", headers={"Authorization": "Bearer wrong"}) as response:
        assert response.status == 401
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="metrics"'
    async with client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}) as response:
        assert response.status == 200
        assert "bridge_directory_version" in await response.text()


async def test_methods_the_bridge_serves_nowhere_share_one_label(
    world: World, start_bridge: StartBridge
) -> None:
    """A method is a token the client chooses (aiohttp's C parser knows some forty, its
    pure-Python one takes any): those the bridge serves nowhere are counted as ``other``, so
    that a client cannot make a series of its own per method."""
    client = await start_bridge(metrics={"enabled": True})
    for method in ("PROPFIND", "MKCOL", "LOCK", "UNLOCK", "PURGE", "REPORT"):
        async with client.request(method, f"{P}/coreServers") as response:
            assert response.status == 405
    async with client.get("/metrics") as response:
        lines = (await response.text()).splitlines()
    assert not [line for line in lines if "PROPFIND" in line or "PURGE" in line]
    expected = 'bridge_http_requests_total{route="core_server.list",method="other",status="405"} 6'
    assert expected in lines
