"""Licensing and bindings, decided when a snapshot is built (docs/schema.md)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bridge.directory.build import DirectoryRows, build_snapshot
from bridge.directory.licensing import decide_licensing
from tests.support import utc

NOW = utc(2026, 6, 1)


def license_row(
    id: str,
    cs: str = "cs1",
    seats: int = 2,
    kind: str = "full",
    expires_at: dt.datetime | None = None,
) -> dict[str, Any]:
    return {"id": id, "core_server_id": cs, "kind": kind, "seats": seats, "expires_at": expires_at}


def user_row(
    id: str, license_id: str | None, cs: str = "cs1", created_at: dt.datetime | None = NOW
) -> dict[str, Any]:
    return {"id": id, "core_server_id": cs, "license_id": license_id, "created_at": created_at}


def test_seats_go_in_created_at_then_id_order() -> None:
    users = [
        user_row("b", "L", created_at=utc(2024, 1, 1)),
        user_row("a", "L", created_at=utc(2024, 1, 1)),  # same time: the id decides
        user_row("c", "L", created_at=utc(2023, 1, 1)),  # oldest
    ]
    licensed, _ = decide_licensing([license_row("L", seats=2)], users, NOW)
    assert licensed == {"c", "a"}


def test_expired_basic_and_empty_licenses_license_nobody() -> None:
    licenses = [
        license_row("expired", expires_at=utc(2026, 5, 31)),
        license_row("basic", kind="basic"),
        license_row("none", seats=0),
        license_row("later", expires_at=utc(2027, 1, 1)),
        license_row("sooner", expires_at=utc(2026, 7, 1)),
    ]
    users = [user_row(name, name) for name in ("expired", "basic", "none", "later", "sooner")]
    licensed, valid_until = decide_licensing(licenses, users, NOW)
    assert licensed == {"later", "sooner"}
    assert valid_until == utc(2026, 7, 1)  # the snapshot is rebuilt when "sooner" expires


def test_expiry_is_exclusive_at_the_instant() -> None:
    licensed, _ = decide_licensing([license_row("L", expires_at=NOW)], [user_row("u", "L")], NOW)
    assert licensed == set()


def test_only_the_license_core_servers_users_hold_or_count_towards_seats() -> None:
    users = [
        user_row("foreign", "L", cs="cs2", created_at=utc(2020, 1, 1)),
        user_row("own", "L", cs="cs1", created_at=utc(2024, 1, 1)),
    ]
    licensed, _ = decide_licensing([license_row("L", seats=1)], users, NOW)
    assert licensed == {"own"}


def test_unreadable_created_at_goes_last() -> None:
    users = [user_row("x", "L", created_at=None), user_row("y", "L", created_at=utc(2025, 1, 1))]
    licensed, _ = decide_licensing([license_row("L", seats=1)], users, NOW)
    assert licensed == {"y"}


def rows(**tables: list[dict[str, Any]]) -> DirectoryRows:
    empty: dict[str, list[dict[str, Any]]] = {
        name: []
        for name in (
            "core_servers",
            "licenses",
            "users",
            "extensions",
            "queues",
            "agents",
            "accounts",
            "grants",
        )
    }
    return DirectoryRows(**{**empty, **tables})


CS = {
    "id": "cs1",
    "slug": "main",
    "name": "Main",
    "enabled": 1,
    "permission_id": "p-cs",
    "ami_host": "h",
    "ami_port": 5038,
    "ami_username": "u",
    "ami_secret": "s",
    "originate_context": "from-internal",
    "channel_template": "SIP/{number}",
    "created_at": NOW,
    "ami_tls": 0,
    "ami_tls_ca": None,
    "ami_auth": "md5",
}


def extension_row(id: str, number: str, user_id: str | None, **extra: Any) -> dict[str, Any]:
    return {
        "id": id,
        "core_server_id": "cs1",
        "user_id": user_id,
        "extension_number": number,
        "display_name": None,
        "channel": None,
        "permission_id": "p",
        "configuration_id": "c",
        **extra,
    }


def test_dangling_and_foreign_bindings_are_unbound() -> None:
    users = [
        {
            **user_row("u1", "L"),
            "username": "u1",
            "display_name": "User One",
            "permission_id": "p",
            "configuration_id": "c",
        },
    ]
    snapshot = build_snapshot(
        rows(
            core_servers=[CS],
            licenses=[license_row("L")],
            users=users,
            extensions=[
                extension_row("e1", "10", "u1"),
                extension_row("e2", "11", "ghost"),  # a user deleted behind the bridge's back
                extension_row("e3", "12", None, channel="Local/12@from-internal"),
            ],
        ),
        NOW,
        version=1,
    )
    index = snapshot.core_servers_by_slug["main"]
    e1, e2, e3 = (index.extensions_by_number[n] for n in ("10", "11", "12"))
    assert (e1.licensed, e1.user_id, e1.display_name, e1.device) == (
        True,
        "u1",
        "User One",
        "SIP/10",
    )
    assert (e2.licensed, e2.user_id, e2.display_name) == (False, None, "11")
    assert e3.device == "Local/12@from-internal"


def test_extensions_sort_numerically_then_by_text() -> None:
    extensions = [
        extension_row(str(i), n, None) for i, n in enumerate(["100", "20", "abc", "9", "١٢"])
    ]
    snapshot = build_snapshot(rows(core_servers=[CS], extensions=extensions), NOW, version=1)
    numbers = [e.number for e in snapshot.core_servers[0].extensions]
    assert numbers == ["9", "20", "100", "abc", "١٢"]


def test_core_servers_carry_how_their_ami_link_connects() -> None:
    tls = {**CS, "id": "cs2", "slug": "tls", "ami_tls": 1, "ami_tls_ca": "/etc/ca.pem"}
    plain = {**CS, "id": "cs3", "slug": "plain", "ami_auth": "plain", "ami_tls_ca": ""}
    snapshot = build_snapshot(rows(core_servers=[CS, tls, plain]), NOW, version=1)
    found = {
        i.entry.slug: (i.entry.ami_tls, i.entry.ami_tls_ca, i.entry.ami_auth)
        for i in snapshot.core_servers
    }
    assert found == {
        "main": (False, None, "md5"),
        "tls": (True, "/etc/ca.pem", "md5"),
        "plain": (False, None, "plain"),  # an empty CA path is the system's CAs, as null is
    }
