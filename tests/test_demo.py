"""``bridge demo``: every curl line of the iSymphony page answers as the page says."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shlex
import shutil
import sys
from pathlib import Path
from typing import Any

import aiohttp

from bridge import demo
from bridge.demo import demo_pbx_config
from bridge.keys import live_key
from bridge.pbxsim import SimulatedPbx
from tests.api.test_event_stream import WS
from tests.conftest import StartBridge
from tests.pbx import FAST_AMI
from tests.pbxsim.flows import Watcher, listed
from tests.support import P, basic, free_port, poll_until
from tests.test_serve import stopped_at_the_end

# The curl lines of the iSymphony 3.2 "Extensions" page, as the page prints them.
EXAMPLES = Path(__file__).resolve().parent / "data" / "seed_curl_examples.txt"


def curl_lines() -> list[str]:
    return [line for line in EXAMPLES.read_text().splitlines() if line.startswith("curl ")]


async def test_every_curl_line_of_the_page_works_against_the_demo() -> None:
    lines = curl_lines()
    assert len(lines) == 8
    curl = shutil.which("curl")
    assert curl is not None, "curl is needed to run the page's curl lines"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bridge",
        "demo",
        "--port",
        str(port),
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    async with stopped_at_the_end(process):
        await wait_until_up(port)
        for line in lines:
            args = shlex.split(line.replace("localhost:58080", f"localhost:{port}"))
            result = await asyncio.create_subprocess_exec(
                curl,
                "--silent",
                "--show-error",
                *args[1:],
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            out, err = await result.communicate()
            assert result.returncode == 0, err
            head, _, body = out.decode().partition("\r\n\r\n")
            status = int(head.split()[1])
            if "-X POST" in line:
                assert status == 204, (line, out)
                assert body == ""
            else:
                assert status == 200, (line, out)
                answer = json.loads(body)
                one = answer[0] if isinstance(answer, list) else answer
                assert one["id"] == "ef2faba9-8557-49c1-9ffc-5a71f41c7a23"
                assert (one["extensionNumber"], one["displayName"]) == ("4224", "Michael Y")
                assert list(one)[:5] == [
                    "id",
                    "extensionNumber",
                    "displayName",
                    "configurationId",
                    "permissionId",
                ]
    assert process.stderr is not None
    log = (await process.stderr.read()).decode()
    assert "SIMULATED PBX" in log
    assert f"Panel: http://localhost:{port}/ in a browser" in log
    assert "originate 4224 -> 18005555555 on default answered" in log


async def wait_until_up(port: int) -> None:
    async with aiohttp.ClientSession() as session, asyncio.timeout(30):
        while True:
            try:
                async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                    body = await response.json()
                    if body["amiStatus"]["connected"] == 1:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.05)  # waiting for another process to listen


async def test_the_demo_pbx_rings_the_phone_a_caller_is_transferred_to() -> None:
    """As on FreePBX (``pjsip/blind_transfer_sip``): a BlindTransfer sends the caller to the
    number's extension, which dials that phone, so the new leg is ``PJSIP/4226-...``."""
    async with SimulatedPbx(login_failure_delay=0.01, config=demo_pbx_config()) as pbx:
        watcher = await Watcher.connect(pbx)
        try:
            async with asyncio.timeout(5):
                call = pbx.inbound_call("5551234", "18005550000", "PJSIP/4225")
                anna = call.callee
                assert anna is not None and call.bridge is not None
                await watcher.fence()
                during = await watcher.action(
                    "BlindTransfer", Channel=anna.name, Context="from-internal", Exten="4226"
                )
                channels = await watcher.action("CoreShowChannels")
        finally:
            await watcher.close()
    trunk = call.caller
    assert any(m.get("Message") == "Transfer succeeded" for m in during)
    [dialled] = [m for m in during if m.get("Event") == "DialBegin"]
    assert dialled["Channel"] == trunk.name
    assert dialled["DestChannel"].startswith("PJSIP/4226-")
    shown = {m["Channel"]: m["BridgeId"] for m in listed(channels, "CoreShowChannel")}
    assert set(shown) == {trunk.name, dialled["DestChannel"]}
    assert shown[trunk.name] == shown[dialled["DestChannel"]] != ""


async def test_the_demo_pbx_rings_the_phone_of_an_internal_number() -> None:
    async with SimulatedPbx(login_failure_delay=0.01, config=demo_pbx_config()) as pbx:
        call = pbx.place_call("PJSIP/4224", "4226")
    assert call.callee is not None and call.callee.name.startswith("PJSIP/4226-")
    assert call.answered


async def test_the_demo_queue_has_callers_answered_and_abandoned(
    start_bridge: StartBridge, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
    async with SimulatedPbx("bridge", demo.AMI_SECRET, config=demo.demo_pbx_config()) as pbx:
        await demo.seed_demo(url, pbx.port)
        client = await start_bridge(database={"url": url}, ami=FAST_AMI)
        credentials = basic(demo.ACCOUNT, demo.PASSWORD)
        ws = await client.ws_connect(WS, headers=credentials)
        assert json.loads((await ws.receive(timeout=5)).data) == {"type": "ready"}
        await poll_until(lambda: any(s.synced for s in client.app[live_key]))
        traffic = demo.QueueTraffic(every=0.1, wait=0.3, talk=0.2)
        player = asyncio.create_task(demo.play_queue_callers(pbx, traffic))
        calls = f"{P}/coreServers/{demo.CORE_SERVER}/queues/{demo.QUEUE}/calls"
        waiting: list[Any] = []
        reasons: set[str] = set()
        try:
            async with asyncio.timeout(10):
                while not (waiting and {"answered", "abandoned"} <= reasons):
                    event = json.loads((await ws.receive()).data)
                    if event["type"] == "queue.callerJoin" and not waiting:
                        async with client.get(calls, headers=credentials) as response:
                            waiting = await response.json()
                        assert waiting[0]["did"] == demo.DID
                    elif event["type"] == "queue.callerLeave":
                        reasons.add(event["reason"])
        finally:
            player.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await player
            await ws.close()
