"""Baseline of the originate benchmark: panoramisk 1.4 sending Originate (Async, as_list=False)
and waiting for the ack, one after the other. ``python bench/panoramisk_originate.py PORT N``
prints ``ready``, then one line of N latencies in seconds (JSON)."""

from __future__ import annotations

import asyncio
import json
import sys
import time

from panoramisk import Manager


async def main(port: int, count: int) -> None:
    loop = asyncio.get_running_loop()
    logged_in: asyncio.Future[bool] = loop.create_future()

    def on_login(_manager: Manager) -> None:
        if not logged_in.done():
            logged_in.set_result(True)

    manager = Manager(
        host="127.0.0.1",
        port=port,
        username="bridge",
        secret="bridge-secret",
        ping_delay=3600,
        ping_interval=3600,
        loop=loop,
        on_login=on_login,
    )
    manager.connect()
    await logged_in
    print("ready", flush=True)
    sys.stdin.readline()  # go
    latencies = []
    for n in range(count):
        started = time.perf_counter()
        reply = await manager.send_action(
            {
                "Action": "Originate",
                "Channel": "PJSIP/1000",
                "Context": "from-internal",
                "Exten": f"200{n % 10}",
                "Priority": "1",
                "CallerID": '"Bench" <1000>',
                "Timeout": "30000",
                "Async": "true",
            },
            as_list=False,
        )
        latencies.append(time.perf_counter() - started)
        assert reply.response == "Success", reply
    print(json.dumps(latencies), flush=True)
    manager.close()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
