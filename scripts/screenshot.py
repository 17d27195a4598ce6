"""The operator panel on ``bridge demo``'s data, as docs/panel.png (run by scripts/screenshot).

The demo's world (seeded database, simulated PBX) with a few calls played on the PBX: an
outside caller talking to 4225, 4224 calling out, a caller waiting in ``support``, 4226 on
DND and Michael paused for lunch.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import tempfile
from pathlib import Path

from aiohttp import web
from playwright.async_api import async_playwright

from bridge import demo
from bridge.app import create_app
from bridge.pbxsim import SimulatedPbx
from bridge.server import BridgeRunner
from bridge.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def play_calls(pbx: SimulatedPbx) -> None:
    pbx.inbound_call("4155550142", "18005550100", "PJSIP/4225", caller_name="Dana Whitfield")
    pbx.place_call("PJSIP/4224", "18005555555")
    pbx.queue_call("2125550199", "support", "PJSIP/4224", caller_name="R Okafor", answer=False)
    pbx.dnd_feature_code("4226", True)
    pbx.pause_queue_member("support", "PJSIP/4224", True, "lunch")


async def shoot(out: Path, chromium: str, width: int, height: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bridge-shot-") as directory:
        url = f"sqlite+aiosqlite:///{Path(directory) / 'demo.db'}"
        config = demo.demo_pbx_config()
        async with SimulatedPbx(
            "bridge", demo.AMI_SECRET, config=config, call_duration=None
        ) as pbx:
            await demo.seed_demo(url, pbx.port)
            port = free_port()
            settings = Settings().replace(database={"url": url}, http={"port": port})
            runner = BridgeRunner(create_app(settings))
            await runner.setup()
            try:
                await web.TCPSite(runner, "127.0.0.1", port).start()
                await asyncio.sleep(1)  # the AMI link logs in and syncs
                play_calls(pbx)
                await asyncio.sleep(1)
                async with async_playwright() as playwright:
                    browser = await playwright.chromium.launch(executable_path=chromium)
                    context = await browser.new_context(
                        viewport={"width": width, "height": height},
                        http_credentials={"username": demo.ACCOUNT, "password": demo.PASSWORD},
                    )
                    page = await context.new_page()
                    await page.goto(f"http://127.0.0.1:{port}/")
                    await page.wait_for_selector('body[data-loaded="true"]')
                    await page.wait_for_selector('#link[data-link="up"]')
                    await asyncio.sleep(6)  # running timers, waiting caller refetched
                    await page.screenshot(path=str(out))
                    await browser.close()
            finally:
                await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "panel.png")
    parser.add_argument(
        "--chromium", default=os.environ.get("BRIDGE_CHROMIUM", "/usr/bin/chromium")
    )
    parser.add_argument("--size", default="1280x720", help="the window, WIDTHxHEIGHT")
    args = parser.parse_args()
    width, height = (int(n) for n in args.size.split("x"))
    asyncio.run(shoot(args.out, args.chromium, width, height))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
