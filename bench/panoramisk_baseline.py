"""Baseline of the ingestion benchmark: panoramisk 1.4 dispatching an AMI stream to one empty
``'*'`` handler. ``python bench/panoramisk_baseline.py PORT USERNAME SECRET`` prints ``ready``
once logged in, and ``done N`` when the marker (a device state ``UNAVAILABLE``) arrives."""

from __future__ import annotations

import asyncio
import sys

from panoramisk import Manager


async def main(port: int, username: str, secret: str) -> None:
    done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    count = 0

    def on_event(_manager: Manager, message: object) -> None:
        nonlocal count
        count += 1
        if getattr(message, "state", "") == "UNAVAILABLE" and not done.done():
            done.set_result(count)

    manager = Manager(
        host="127.0.0.1",
        port=port,
        username=username,
        secret=secret,
        ping_delay=3600,
        ping_interval=3600,
        loop=asyncio.get_running_loop(),
    )
    manager.register_event("*", on_event)
    logged_in: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

    def on_login(_manager: Manager) -> None:
        if not logged_in.done():
            logged_in.set_result(True)

    manager.on_login = on_login
    manager.connect()
    await logged_in
    print("ready", flush=True)
    print("done", await done, flush=True)
    manager.close()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2], sys.argv[3]))
