"""``bridge demo``: every curl line of the iSymphony page answers as the page says."""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import shutil
import sys
from pathlib import Path

import aiohttp

from bridge.demo import demo_pbx_config
from bridge.pbxsim import SimulatedPbx
from tests.pbxsim.flows import Watcher, listed
from tests.support import free_port
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
