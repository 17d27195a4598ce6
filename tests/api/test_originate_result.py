"""What became of an originated call: Asterisk's OriginateResponse, decoded, in the audit trail
and as an ``originate.result`` event for whoever may view the extension."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from bridge.audit import AuditEntry, AuditLog
from bridge.keys import audit_key
from bridge.pbxsim import SimulatedPbx
from tests.api.test_event_stream import next_event, open_stream, started
from tests.api.test_extension_actions import ext_path, post
from tests.conftest import StartBridge
from tests.support import call
from tests.world import World

AUDIT = "/communication_manager/rest/audit"


@pytest.mark.parametrize(
    ("reason", "outcome", "why"),
    [(4, "answered", None), (5, "failed", "busy"), (3, "failed", "no answer"),
     (8, "failed", "congestion"), (0, "failed", "unreachable")],
)  # fmt: skip
async def test_the_outcome_is_audited_and_streamed(
    pbx_world: World,
    pbx: SimulatedPbx,
    start_bridge: StartBridge,
    reason: int,
    outcome: str,
    why: str | None,
) -> None:
    pbx.originate.result = lambda _request: reason
    client = await started(start_bridge, pbx)
    admin = await open_stream(client)
    outsider = await open_stream(client, "csonly")  # sees the core server, not extension 100
    status, _ = await post(client, f"{ext_path(pbx_world)}/originate", {"destinationNumber": "200"})
    assert status == 204
    event = await next_event(admin, "originate.result")
    action_id = pbx.actions("Originate")[0].message["ActionID"]
    assert {k: v for k, v in event.items() if k != "time"} == {
        "type": "originate.result",
        "coreServerId": pbx_world.cs,
        "actionId": action_id,
        "extensionId": pbx_world.ext["100"],
        "extensionNumber": "100",
        "destination": "200",
        "outcome": outcome,
        "reason": why,
    }
    await client.app[audit_key].flush()
    _, entries = await call(client, "GET", AUDIT)
    entry: dict[str, Any] = entries[0]
    assert (entry["amiActionId"], entry["outcome"]) == (action_id, "ok")
    assert (entry["callOutcome"], entry["callReason"]) == (outcome, why)
    # the outsider's stream got no such event (had it, it would come before this answer)
    await outsider.send_json({"type": "filter", "filters": []})
    seen = []
    while (message := await outsider.receive_json(timeout=5))["type"] != "filter":
        seen.append(message["type"])
    assert "originate.result" not in seen
    await admin.close()
    await outsider.close()


async def test_an_outcome_after_its_row_was_written_updates_the_row(admin_engine: Any) -> None:
    """A call may ring for half a minute: its row is in the database long before."""

    async def write(statement: Any, rows: list[dict[str, Any]]) -> None:
        async with admin_engine.begin() as connection:
            await connection.execute(statement, rows)

    audit = AuditLog(write)
    audit.start()
    try:
        audit.record(
            AuditEntry(None, "ann", None, "cs", "ext", "100", "originate", "200", "ok", 204,
                       "r1", ami_action_id="bridge-1")
        )  # fmt: skip
        await audit.flush()
        audit.record_call_outcome("bridge-1", "failed", "busy")
        await audit.flush()
    finally:
        await audit.close()
    async with admin_engine.connect() as connection:
        row = (
            await connection.execute(sa.text("SELECT call_outcome, call_reason FROM audit_events"))
        ).one()
    assert tuple(row) == ("failed", "busy")
