"""A standard directory for API tests: licensed and unlicensed users, grants, queues, agents."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest

from bridge import models
from tests.support import Seed, utc


@dataclass
class World:
    cs: str = ""
    old_cs: str = ""
    branch_cs: str = ""
    users: dict[str, str] = field(default_factory=dict)
    ext: dict[str, str] = field(default_factory=dict)
    queues: dict[str, str] = field(default_factory=dict)
    agents: dict[str, str] = field(default_factory=dict)
    accounts: dict[str, str] = field(default_factory=dict)
    ext_permission: str = "11111111-2222-4333-8444-555555555555"


PASSWORDS = {
    "admin": "admin-pw",
    "viewer": "viewer-pw",
    "linked": "linked-pw",
    "stranger": "stranger-pw",
    "disabled": "disabled-pw",
    "csonly": "csonly-pw",
}


@pytest.fixture
async def world(seed: Seed) -> World:
    w = World()
    w.cs = await seed.core_server("default", name="Main PBX")
    full = await seed.license(w.cs, seats=2)
    basic = await seed.license(w.cs, seats=10, kind="basic")
    expired = await seed.license(w.cs, seats=10, expires_at=utc(2020, 1, 1))
    future = await seed.license(w.cs, seats=1, expires_at=utc(2099, 1, 1))
    users: tuple[tuple[str, str | None, dt.datetime | None], ...] = (
        ("alice", full, utc(2024, 1, 1)),
        ("bob", full, utc(2024, 1, 2)),
        ("carol", full, utc(2024, 1, 3)),  # third on a two-seat license
        ("dave", basic, None),
        ("erin", expired, None),
        ("frank", None, None),
        ("gina", future, None),
    )
    for name, license_id, created in users:
        extra: dict[str, object] = {"created_at": created} if created else {}
        w.users[name] = await seed.user(w.cs, name, license_id, display_name=name.title(), **extra)
    for number, owner in (
        ("100", "alice"),
        ("101", "bob"),
        ("102", "carol"),
        ("103", "dave"),
        ("104", "erin"),
        ("105", None),
        ("106", "frank"),
        ("107", "gina"),
        ("108", "alice"),
    ):
        extra = {"permission_id": w.ext_permission} if number in ("100", "101") else {}
        w.ext[number] = await seed.extension(
            w.cs, number, w.users[owner] if owner else None, **extra
        )
    w.queues["support"] = await seed.queue(w.cs, "support", display_name="Support")
    w.queues["closed"] = await seed.queue(w.cs, "closed", enabled=False)
    w.agents["alice"] = await seed.agent(w.queues["support"], w.ext["100"], name="Alice agent")
    w.agents["carol"] = await seed.agent(w.queues["support"], w.ext["102"])
    w.agents["none"] = await seed.agent(w.queues["support"], None, interface="PJSIP/999")
    w.agents["bob_closed"] = await seed.agent(w.queues["closed"], w.ext["101"])
    w.agents["gina"] = await seed.agent(w.queues["support"], w.ext["107"])

    w.old_cs = await seed.core_server("old", enabled=False)
    old_license = await seed.license(w.old_cs)
    old_user = await seed.user(w.old_cs, "olduser", old_license)
    w.ext["old"] = await seed.extension(w.old_cs, "100", old_user)

    w.branch_cs = await seed.core_server("branch")
    branch_license = await seed.license(w.branch_cs)
    w.users["zed"] = await seed.user(w.branch_cs, "zed", branch_license)
    w.ext["zed"] = await seed.extension(w.branch_cs, "200", w.users["zed"])

    a = w.accounts
    a["admin"] = await seed.account("admin", PASSWORDS["admin"], is_admin=True)
    a["viewer"] = await seed.account("viewer", PASSWORDS["viewer"])
    a["linked"] = await seed.account("linked", PASSWORDS["linked"], user_id=w.users["alice"])
    a["stranger"] = await seed.account("stranger", PASSWORDS["stranger"])
    a["disabled"] = await seed.account(
        "disabled", PASSWORDS["disabled"], enabled=False, is_admin=True
    )
    a["csonly"] = await seed.account("csonly", PASSWORDS["csonly"])
    cs_permission = await seed.permission_of(models.CoreServer, w.cs)
    queue_permission = await seed.permission_of(models.Queue, w.queues["support"])
    user_permission = await seed.permission_of(models.User, w.users["bob"])
    await seed.grant(a["viewer"], cs_permission, "view")
    await seed.grant(a["viewer"], w.ext_permission, "all")
    await seed.grant(a["viewer"], queue_permission, "view")
    await seed.grant(a["viewer"], user_permission, "view")
    await seed.grant(a["csonly"], cs_permission, "view")
    return w
