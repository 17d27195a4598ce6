"""Licensing (docs/schema.md, "Licensing").

A user is licensed/full when its license is of its own core server, of kind ``full``, not
expired, and the user is within the license's seats, counting that core server's users on the
license in ``(created_at, id)`` order.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from bridge.sqltypes import INVALID_TIME

Row = Mapping[Any, Any]
FAR_FUTURE = dt.datetime.max.replace(tzinfo=dt.UTC)


def decide_licensing(
    licenses: Iterable[Row], users: Iterable[Row], now: dt.datetime
) -> tuple[set[str], dt.datetime | None]:
    """The ids of licensed/full users, and when the next license expires (if one will)."""
    holders: dict[str, list[Row]] = defaultdict(list)
    for user in users:
        if user["license_id"] is not None:
            holders[user["license_id"]].append(user)
    licensed: set[str] = set()
    valid_until: dt.datetime | None = None
    for license_ in licenses:
        expires_at = license_["expires_at"]
        if license_["kind"] != "full" or license_["seats"] <= 0:
            continue
        if expires_at is not None:
            if expires_at <= now:
                continue
            valid_until = expires_at if valid_until is None else min(valid_until, expires_at)
        seated = sorted(
            (
                u
                for u in holders[license_["id"]]
                if u["core_server_id"] == license_["core_server_id"]
            ),
            key=creation_order,
        )
        licensed.update(u["id"] for u in seated[: license_["seats"]])
    return licensed, valid_until


def creation_order(row: Row) -> tuple[dt.datetime, str]:
    created = row["created_at"]
    # An unreadable time goes last: it must not take a seat from a readable one.
    return (FAR_FUTURE if created in (None, INVALID_TIME) else created, row["id"])
