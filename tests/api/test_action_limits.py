"""Every action counts against the account's action allowance (DND included), and refused
actions are audited in bounded form: one row per account, action and outcome a minute."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import sqlalchemy as sa

from bridge import models
from bridge.audit import WINDOW_SECONDS, AuditEntry, AuditLog
from bridge.pbxsim import SimulatedPbx
from tests.api.test_extension_actions import connected, ext_path, post
from tests.conftest import StartBridge
from tests.pbx import FAST_AMI
from tests.support import Seed, basic, call
from tests.world import World

AUDIT = "/communication_manager/rest/audit"


async def test_dnd_toggles_count_against_the_action_allowance(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await start_bridge(ami=FAST_AMI, limits={"actions_per_minute": 6, "actions_burst": 3})
    await connected(client, pbx)
    path = ext_path(pbx_world)
    statuses = [(await post(client, f"{path}/{a}Dnd"))[0] for a in ("enable", "disable") * 3]
    assert statuses == [204, 204, 204, 429, 429, 429]
    assert pbx.action_count("DBPut") + pbx.action_count("DBDel") == 3
    # an originate is an action too; another account has its own allowance
    body = {"destinationNumber": "200"}
    assert (await post(client, f"{path}/originate", body))[0] == 429
    assert (await post(client, f"{ext_path(pbx_world, '101')}/enableDnd", account="viewer"))[
        0
    ] == 204
    assert pbx.action_count("Originate") == 0


async def test_a_call_takes_from_both_allowances_or_neither(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await start_bridge(
        ami=FAST_AMI,
        limits={"originate_per_minute": 1, "originate_burst": 2, "actions_burst": 4},
    )
    await connected(client, pbx)
    path = ext_path(pbx_world)
    body = {"destinationNumber": "200"}
    assert [(await post(client, f"{path}/originate", body))[0] for _ in range(3)] == [204, 204, 429]
    # the refused call used no action: two actions are left of four
    assert [(await post(client, f"{path}/enableDnd"))[0] for _ in range(3)] == [204, 204, 429]


async def test_refused_attempts_are_one_row_a_minute(
    pbx_world: World, pbx: SimulatedPbx, seed: Seed, start_bridge: StartBridge
) -> None:
    """An account that may view an extension but not act on it, hammering it."""
    permission = await seed.permission_of(models.Extension, pbx_world.ext["107"])
    cs_permission = await seed.permission_of(models.CoreServer, pbx_world.cs)
    watcher = await seed.account("watcher", "watcher-pw")
    for granted in (cs_permission, permission):
        await seed.grant(watcher, granted, "view")
    client = await start_bridge(ami=FAST_AMI)
    await connected(client, pbx)
    headers = basic("watcher", "watcher-pw")
    path = f"{ext_path(pbx_world, '107')}/originate"

    async def attempt(n: int) -> int:
        body = {"destinationNumber": f"1900555{n:04d}"}
        async with client.post(path, json=body, headers=headers) as response:
            return response.status

    first_minute = minute()  # the trail's minutes, on the clock the app in this process reads
    statuses = await asyncio.gather(*(attempt(n) for n in range(500)))
    assert set(statuses) == {403}
    for action in ("enableDnd", "disableDnd"):
        for _ in range(50):
            async with client.post(f"{ext_path(pbx_world, '107')}/{action}", headers=headers) as r:
                assert r.status == 403
    # one row per kind of refusal, or two when the attempts ran past the end of a minute
    minutes = minute() - first_minute + 1
    assert minutes <= 2
    status, entries = await call(client, "GET", AUDIT, params={"account": "watcher"})
    assert status == 200
    attempts: dict[tuple[str, str, int], list[int]] = {}
    for e in entries:
        attempts.setdefault((e["action"], e["outcome"], e["status"]), []).append(e["attempts"])
    assert {kind: sum(counts) for kind, counts in attempts.items()} == {
        ("disableDnd", "action-forbidden", 403): 50,
        ("enableDnd", "action-forbidden", 403): 50,
        ("originate", "action-forbidden", 403): 500,
    }
    assert all(len(counts) <= minutes for counts in attempts.values())
    async with seed.engine.connect() as connection:
        rows = await connection.scalar(sa.text("SELECT count(*) FROM audit_events"))
    assert rows == len(entries) <= 3 * minutes
    assert pbx.action_count("Originate") == 0


def minute() -> int:
    """The refusals' minute now (bridge.audit keys them by the monotonic clock)."""
    return int(time.monotonic() // WINDOW_SECONDS)


def refusal(account: str, outcome: str = "action-forbidden") -> AuditEntry:
    return AuditEntry(
        account_id=f"id-{account}",
        account_username=account,
        source="192.0.2.1",
        core_server_id="cs",
        extension_id="ext",
        extension_number="100",
        action="originate",
        destination="200",
        outcome=outcome,
        status=403,
        request_id="r1",
    )


async def test_a_minute_of_refusals_is_written_when_the_minute_is_over() -> None:
    now = [30.0]
    written: list[dict[str, Any]] = []
    wrote = asyncio.Event()

    async def write(_statement: Any, rows: list[dict[str, Any]]) -> None:
        written.extend(rows)
        wrote.set()

    audit = AuditLog(write, clock=lambda: now[0])
    audit.start()
    try:
        for _ in range(3):
            audit.record(refusal("ann"))
        audit.record(refusal("bob"))
        audit.record(refusal("ann", "rate-limited"))
        await asyncio.sleep(0.2)  # the writer ran; the minute is not over
        assert written == []
        now[0] = 61.0  # the next minute: those of the first are due
        audit.record(refusal("ann"))  # a new minute's row; it wakes the writer
        async with asyncio.timeout(5):
            await wrote.wait()
        got = sorted((r["account_username"], r["outcome"], r["attempts"]) for r in written)
        assert got == [
            ("ann", "action-forbidden", 3),
            ("ann", "rate-limited", 1),
            ("bob", "action-forbidden", 1),
        ]
    finally:
        await audit.close()
    assert [r["attempts"] for r in written[3:]] == [1]  # the last minute, written at close
