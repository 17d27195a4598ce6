"""Soak: 200 concurrent clients for 60 s, with the PBX dropped and restored mid-run.

``python -m bench.soak [--seconds 60] [--clients 200]``

Clients mix reads (lists, one extension, call segments), originates, DND on and off, and
WebSocket subscribers, against the bridge (its own process) and the simulated PBX (this
process). A third of the way in, the PBX stops (sockets closed, port refused); it comes back
ten seconds later. At the end the bridge is stopped with SIGTERM (which writes the audit
trail's last entries) and the run checks:

- no 5xx but the documented 503s (``ami-unavailable``, ``ami-disconnected``) while the link was
  down, and nothing unanswered;
- no lost or duplicated action: every Originate the PBX received is in the audit trail once,
  with its ActionID, and every originate the trail calls ``ok`` reached the PBX; the PBX's DND
  writes (DBPut / DBDel on family DND) number the trail's ``ok`` ones, plus at most those whose
  answer was lost with the link;
- memory flat: the bridge's resident memory at the end against the start of the load.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import random
import signal
import time
from collections import Counter
from typing import Any

import aiohttp
import sqlalchemy as sa

from bench.common import (
    ADMIN,
    PASSWORD,
    bridge_env,
    cpus,
    free_port,
    pbx_server,
    pin,
    rss_mb,
    seed,
    start_process,
    wait_healthy,
    workdir,
)
from bridge import models
from bridge.db import create_engine
from bridge.pbxsim import SimulatedPbx

P = "/communication_manager/rest/live"
EXTENSIONS = 200
DOCUMENTED_5XX = {"ami-unavailable", "ami-disconnected"}
ANSWER_LOST = {"ami-disconnected", "ami-timeout"}  # sent; the PBX may or may not have it


class Tally:
    def __init__(self) -> None:
        self.statuses: Counter[tuple[str, int, str]] = Counter()
        self.failures: list[str] = []
        self.ws_events = 0
        self.ws_sessions = 0


async def client(
    session: aiohttp.ClientSession,
    base: str,
    cs: str,
    tally: Tally,
    until: float,
    rng: random.Random,
) -> None:
    while time.monotonic() < until:
        number = str(1000 + rng.randrange(EXTENSIONS))
        ext = f"{base}{P}/coreServers/{cs}/extensions/getByName/{number}"
        roll = rng.random()
        if roll < 0.45:
            kind, method, url, body = "read-one", "GET", ext, None
        elif roll < 0.6:
            kind, method, url, body = (
                "read-list",
                "GET",
                f"{base}{P}/coreServers/{cs}/extensions",
                None,
            )
        elif roll < 0.7:
            kind, method, url, body = "segments", "GET", f"{ext}/callSegments", None
        elif roll < 0.85:
            kind, method, url = "originate", "POST", f"{ext}/originate"
            body = {"destinationNumber": f"9{rng.randrange(10**6):06d}"}
        else:
            action = rng.choice(("enableDnd", "disableDnd"))
            kind, method, url, body = action, "POST", f"{ext}/{action}", None
        try:
            async with session.request(method, url, json=body) as response:
                data = await response.read()
                error = ""
                if response.status >= 400:
                    error = json.loads(data)["error"]
                tally.statuses[(kind, response.status, error)] += 1
                if response.status >= 500 and error not in DOCUMENTED_5XX:
                    tally.failures.append(f"{kind} {response.status} {error}")
        except (aiohttp.ClientError, TimeoutError) as exc:
            tally.failures.append(f"{kind} unanswered: {type(exc).__name__}")
        await asyncio.sleep(rng.random() * 0.05)


async def subscriber(session: aiohttp.ClientSession, base: str, tally: Tally, until: float) -> None:
    while time.monotonic() < until:
        try:
            async with session.ws_connect(f"{base}/communication_manager/ws/event") as ws:
                tally.ws_sessions += 1
                while time.monotonic() < until:
                    try:
                        message = await ws.receive(timeout=max(0.1, until - time.monotonic()))
                    except TimeoutError:
                        break
                    if message.type is not aiohttp.WSMsgType.TEXT:
                        break
                    tally.ws_events += 1
        except aiohttp.WSServerHandshakeError as refused:
            # a documented refusal (429 with Retry-After) is retried, like a dashboard would
            tally.statuses[("subscribe", refused.status, "")] += 1
            if refused.status != 429:
                tally.failures.append(f"subscribe {refused.status}")
            await asyncio.sleep(1)
        except (aiohttp.ClientError, TimeoutError) as exc:
            tally.failures.append(f"subscribe unanswered: {type(exc).__name__}")


async def main(seconds: float, clients: int) -> dict[str, Any]:
    cores = cpus()
    if len(cores) > 1:
        pin(0, cores[1])
    tally = Tally()
    memory: list[tuple[float, float]] = []
    async with SimulatedPbx(login_failure_delay=0.01, call_duration=2.0) as pbx:
        with workdir("soak") as directory:
            url = f"sqlite+aiosqlite:///{directory / 'soak.db'}"
            [cs] = await seed(
                url,
                servers=[pbx_server(pbx.port)],
                extensions_per_server=EXTENSIONS,
            )
            port = free_port()
            env = bridge_env(
                url,
                port,
                BRIDGE_LIMITS_ORIGINATE_PER_MINUTE="100000",
                BRIDGE_LIMITS_ORIGINATE_BURST="1000",
                BRIDGE_AMI_RECONNECT_MAX="1",
            )
            bridge = await start_process(
                ["-m", "bridge", "serve"], env, cores[0] if cores else None
            )
            await wait_healthy(port, connected_servers=1)
            base = f"http://127.0.0.1:{port}"
            auth = base64.b64encode(f"{ADMIN}:{PASSWORD}".encode()).decode()
            connector = aiohttp.TCPConnector(limit=0)
            async with aiohttp.ClientSession(
                connector=connector,
                headers={"Authorization": f"Basic {auth}"},
                timeout=aiohttp.ClientTimeout(total=30),
            ) as session:
                started = time.monotonic()
                until = started + seconds
                rng = random.Random(7)
                tasks = [
                    asyncio.create_task(
                        client(session, base, cs, tally, until, random.Random(rng.random()))
                    )
                    for _ in range(clients - clients // 10)
                ]
                tasks += [
                    asyncio.create_task(subscriber(session, base, tally, until))
                    for _ in range(clients // 10)
                ]

                async def outage() -> None:
                    await asyncio.sleep(seconds / 3)
                    await pbx.stop()
                    await asyncio.sleep(10)
                    await pbx.start()

                async def sample() -> None:
                    while time.monotonic() < until:
                        memory.append((time.monotonic() - started, rss_mb(bridge.pid)))
                        await asyncio.sleep(5)

                await asyncio.gather(*tasks, outage(), sample())
            bridge.send_signal(signal.SIGTERM)
            exit_code = await bridge.wait()
            received = [r.message["ActionID"] for r in pbx.actions("Originate")]
            dnd_writes = {
                "enableDnd": sum(r.message.get("Family") == "DND" for r in pbx.actions("DBPut")),
                "disableDnd": sum(r.message.get("Family") == "DND" for r in pbx.actions("DBDel")),
            }
            trail = await audit(url)
    originates = [row for row in trail if row["action"] == "originate"]
    by_id = Counter(row["ami_action_id"] for row in originates)
    ok_ids = {row["ami_action_id"] for row in originates if row["outcome"] == "ok"}
    lost = [i for i in received if by_id.get(i, 0) != 1]
    unsent = sorted(ok_ids - set(received))
    duplicates = [i for i, n in Counter(received).items() if n > 1]
    # DND writes carry no ActionID in the trail: each answered 204 reached the PBX once, and a
    # write whose answer was lost with the link (503 ami-disconnected) may or may not have
    dnd_mismatch = {}
    for action, writes in dnd_writes.items():
        ok = sum(r["action"] == action and r["outcome"] == "ok" for r in trail)
        cut = sum(r["action"] == action and r["outcome"] in ANSWER_LOST for r in trail)
        if not ok <= writes <= ok + cut:
            dnd_mismatch[action] = {"pbx": writes, "audited_ok": ok, "audited_cut": cut}
    steady = [rss for at, rss in memory if at >= 10] or [rss for _, rss in memory]
    growth = steady[-1] - steady[0] if steady else 0.0
    result: dict[str, Any] = {
        "requests": sum(tally.statuses.values()),
        "by_kind_status": {
            f"{k} {s} {e}".strip(): n for (k, s, e), n in sorted(tally.statuses.items())
        },
        "failures": tally.failures[:20],
        "failure_count": len(tally.failures),
        "websocket_sessions": tally.ws_sessions,
        "websocket_events": tally.ws_events,
        "originates_received_by_pbx": len(received),
        "originates_in_audit": len(originates),
        "received_not_audited_once": len(lost),
        "audited_ok_not_received": len(unsent),
        "duplicated_at_pbx": len(duplicates),
        "dnd_writes_by_pbx": dnd_writes,
        "dnd_mismatch": dnd_mismatch,
        "rss_mb_timeline": memory,
        "rss_growth_mb": growth,
        "exit_code": exit_code,
    }
    verdict = (
        not tally.failures
        and not lost
        and not unsent
        and not duplicates
        and not dnd_mismatch
        and exit_code == 0
        and result["rss_growth_mb"] < 15
    )
    result["pass"] = verdict
    return result


async def audit(url: str) -> list[dict[str, Any]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            result = await connection.execute(sa.select(models.AuditEvent.__table__))
            return [dict(row) for row in result.mappings()]
    finally:
        await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=200)
    args = parser.parse_args()
    outcome = asyncio.run(main(args.seconds, args.clients))
    print(json.dumps(outcome, indent=2))
    raise SystemExit(0 if outcome["pass"] else 1)
