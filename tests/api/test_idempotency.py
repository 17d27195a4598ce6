"""``Idempotency-Key`` on POST actions, through the real app and the simulated PBX, on SQLite and
PostgreSQL: a retry answers the first answer without acting again, 409 while the first is in
flight, 422 for another path or body or a malformed key; refusals keep nothing."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient

from bridge.api.openapi import document
from bridge.idempotency import KEEP_SECONDS, Answer, Claim, IdempotencyKeys
from bridge.pbxsim import SimulatedPbx
from tests.api.test_extension_actions import connected, ext_path
from tests.conftest import StartBridge
from tests.pbx import FAST_AMI
from tests.support import Seed, basic, call
from tests.world import PASSWORDS, World

AUDIT = "/communication_manager/rest/audit"
CALL = {"destinationNumber": "200"}


async def send(
    client: TestClient[Any, Any],
    path: str,
    key: str | None,
    body: Any = None,
    account: str = "admin",
) -> tuple[int, Any, str | None]:
    """(status, JSON body or None, Idempotent-Replayed header)"""
    headers = basic(account, PASSWORDS[account])
    if key is not None:
        headers["Idempotency-Key"] = key
    async with client.post(path, json=body, headers=headers) as response:
        payload = await response.json() if response.status != 204 else None
        return response.status, payload, response.headers.get("Idempotent-Replayed")


async def bridge(start_bridge: StartBridge, pbx: SimulatedPbx, **sections: Any) -> Any:
    client = await start_bridge(**{"ami": FAST_AMI, **sections})
    await connected(client, pbx)
    return client


async def test_a_retry_answers_the_first_answer_without_calling_again(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await bridge(start_bridge, pbx)
    path = f"{ext_path(pbx_world)}/originate"
    assert await send(client, path, "call-1", CALL) == (204, None, None)
    assert await send(client, path, "call-1", CALL) == (204, None, "true")
    assert pbx.action_count("Originate") == 1
    # another key, another account's same key: calls of their own
    assert (await send(client, path, "call-2", CALL))[0] == 204
    assert (await send(client, path, "call-1", CALL, account="linked"))[0] == 204  # alice's
    assert pbx.action_count("Originate") == 3
    # the trail tells the replay from the call
    status, entries = await call(client, "GET", AUDIT, params={"account": "admin"})
    assert status == 200
    assert sorted(e["outcome"] for e in entries) == ["ok", "ok", "replayed"]


async def test_the_key_with_another_body_or_path_is_422(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await bridge(start_bridge, pbx)
    path = f"{ext_path(pbx_world)}/originate"
    assert (await send(client, path, "k", CALL))[0] == 204
    status, body, _ = await send(client, path, "k", {"destinationNumber": "201"})
    assert (status, body["error"]) == (422, "idempotency-key-reused")
    status, body, _ = await send(client, f"{ext_path(pbx_world)}/enableDnd", "k")
    assert (status, body["error"]) == (422, "idempotency-key-reused")
    assert pbx.action_count("Originate") == 1
    assert pbx.action_count("DBPut") == 0


@pytest.mark.parametrize(
    "key", ["x" * 129, "", "bad\tkey", "\u00e9t\u00e9\u0085"], ids=["long", "empty", "tab", "nel"]
)
async def test_a_malformed_key_is_422_and_nothing_is_done(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge, key: str
) -> None:
    client = await bridge(start_bridge, pbx)
    headers = {**basic("admin", "admin-pw"), "Idempotency-Key": key}
    path = f"{ext_path(pbx_world)}/originate"
    async with client.post(path, json=CALL, headers=headers) as response:
        assert response.status == 422
        assert (await response.json())["error"] == "idempotency-key-invalid"
    assert await send(client, path, "y" * 128, CALL) == (204, None, None)  # the longest is fine
    assert pbx.action_count("Originate") == 1


async def test_409_while_the_first_is_in_flight(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await bridge(start_bridge, pbx, ami={**FAST_AMI, "action_timeout": 10.0})
    path = f"{ext_path(pbx_world)}/originate"
    pbx.stall("Originate")
    first = asyncio.create_task(send(client, path, "slow", CALL))
    async with asyncio.timeout(10):
        await pbx.wait_for_action("Originate")
    status, body, _ = await send(client, path, "slow", CALL)
    assert (status, body["error"]) == (409, "idempotency-key-in-flight")
    pbx.unstall("Originate")
    assert await first == (204, None, None)
    assert await send(client, path, "slow", CALL) == (204, None, "true")
    assert pbx.action_count("Originate") == 1


async def test_a_refusal_keeps_nothing_and_an_asterisk_error_is_kept(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await bridge(start_bridge, pbx)
    path = f"{ext_path(pbx_world)}/originate"
    status, body, _ = await send(client, path, "k1", {"destinationNumber": "2\r\n00"})
    assert (status, body["error"]) == (422, "destination-invalid")
    assert await send(client, path, "k1", CALL) == (204, None, None)  # decided afresh
    pbx.fail("Originate", "Originate failed", times=1)
    status, first, _ = await send(client, path, "k2", CALL)
    assert status == 502
    assert await send(client, path, "k2", CALL) == (502, first, "true")  # its body too
    assert pbx.action_count("Originate") == 2


async def test_the_allowance_is_spent_by_the_first_only(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge
) -> None:
    client = await bridge(start_bridge, pbx, limits={"actions_burst": 2})
    path = f"{ext_path(pbx_world)}/enableDnd"
    statuses = [(await send(client, path, "dnd"))[0] for _ in range(5)]
    assert statuses == [204] * 5
    assert (await send(client, path, None))[0] == 204
    assert (await send(client, path, None))[0] == 429
    assert pbx.action_count("DBPut") == 2


async def test_keys_older_than_a_day_are_pruned_and_free(seed: Seed) -> None:
    async def execute(statement: Any, params: dict[str, Any]) -> list[Any]:
        async with seed.engine.begin() as connection:
            result = await connection.execute(statement, params)
            return list(result.all()) if result.returns_rows else []

    now = [1_000_000.0]
    keys = IdempotencyKeys(execute, seed.engine.dialect.name, 60.0, clock=lambda: now[0])
    claim = await keys.claim("acc", "k", "print-1")
    assert isinstance(claim, Claim)
    await keys.finish(claim, None)  # freed: claimed again at once
    claim = await keys.claim("acc", "k", "print-1")
    assert isinstance(claim, Claim)
    now[0] += 61  # never answered (its process died): free after the lease
    claim = await keys.claim("acc", "k", "print-2")
    assert isinstance(claim, Claim)
    await keys.finish(claim, Answer(204))
    now[0] += KEEP_SECONDS - 1
    assert await keys.claim("acc", "k", "print-2") == Answer(204)
    await keys.claim("acc", "other", "print-3")
    now[0] += 2
    await keys.prune()
    async with seed.engine.connect() as connection:
        rows = await connection.execute(sa.text("SELECT key FROM idempotency_keys"))
        assert [row[0] for row in rows] == ["other"]


@pytest.mark.parametrize("key", [b"del\x7f", b"\xff\xfe", b"a\x00b"], ids=["del", "bytes", "nul"])
async def test_a_key_of_raw_bytes_is_422_or_400(
    pbx_world: World, pbx: SimulatedPbx, start_bridge: StartBridge, key: bytes
) -> None:
    client = await bridge(start_bridge, pbx)
    assert client.port is not None
    reader, writer = await asyncio.open_connection("127.0.0.1", client.port)
    body = b'{"destinationNumber": "200"}'
    authorization = basic("admin", "admin-pw")["Authorization"].encode()
    writer.write(
        b"POST " + f"{ext_path(pbx_world)}/originate".encode() + b" HTTP/1.1\r\n"
        b"Host: 127.0.0.1\r\nAuthorization: " + authorization + b"\r\n"
        b"Content-Type: application/json\r\nIdempotency-Key: " + key + b"\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body
    )
    async with asyncio.timeout(10):
        answer = await reader.read()
    writer.close()
    head, _, payload = answer.partition(b"\r\n\r\n")
    status = int(head.split()[1])
    assert status in (400, 422), answer
    if status == 422:
        assert b"idempotency-key-invalid" in payload
    assert pbx.action_count("Originate") == 0


def test_every_post_action_documents_the_header_and_its_answers() -> None:
    doc = document()
    posts = [item["post"] for item in doc["paths"].values() if "post" in item]
    assert len(posts) >= 7
    for operation in posts:
        names = [p["$ref"].rsplit("/", 1)[1] for p in operation["parameters"] if "$ref" in p]
        assert "Idempotency-Key" in names, operation["operationId"]
        assert "409" in operation["responses"], operation["operationId"]
        assert "Idempotent-Replayed" in operation["responses"]["204"]["headers"]
    header = doc["components"]["parameters"]["Idempotency-Key"]
    assert (header["in"], header["schema"]["maxLength"]) == ("header", 128)
