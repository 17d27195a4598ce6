"""``bridge serve`` with a probe of its event loop, for bench/lag.py.

``python -m bench.lag_probe OUTPUT``: the settings come from the environment as for ``bridge
serve`` (one process: ``[http] workers = 1``). Beside the bridge, a task sleeps 5 ms at a time
and notes how late each wake-up is: the loop's lag, which every other callback (the AMI reader
among them) waited as well. At the stop, ``[[monotonic time, lag], ...]`` goes to OUTPUT as
JSON (CLOCK_MONOTONIC: the same clock as the bench's ``time.monotonic()``).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path

from bridge.logs import configure_logging
from bridge.serve import serve
from bridge.settings import Settings, load_settings

INTERVAL = 0.005


async def probe(samples: list[tuple[float, float]]) -> None:
    while True:
        started = time.monotonic()
        await asyncio.sleep(INTERVAL)
        now = time.monotonic()
        samples.append((now, now - started - INTERVAL))


async def run(settings: Settings, output: Path) -> int:
    samples: list[tuple[float, float]] = []
    probing = asyncio.create_task(probe(samples))
    try:
        return await serve(settings)
    finally:
        probing.cancel()
        output.write_bytes(json.dumps(samples).encode())  # noqa: ASYNC240 -- at the very end


def main() -> int:
    settings = load_settings(os.environ.get("BRIDGE_CONFIG"))
    assert settings.http.workers == 1, "the probe watches one process"
    configure_logging(settings.log)
    return asyncio.run(run(settings, Path(sys.argv[1])))


if __name__ == "__main__":
    sys.exit(main())
