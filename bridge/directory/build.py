"""Turns the rows of the directory tables into a :class:`Snapshot`.

Rows left dangling by an admin shell (a license, user, queue or extension that is missing or on
another core server) count as unbound, never as an error.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bridge.directory.entries import (
    AccountEntry,
    AgentEntry,
    CoreServerEntry,
    ExtensionEntry,
    QueueEntry,
    UserEntry,
)
from bridge.directory.licensing import Row, creation_order, decide_licensing
from bridge.directory.snapshot import CoreServerIndex, Snapshot


@dataclass(frozen=True, slots=True)
class DirectoryRows:
    core_servers: Sequence[Row]
    licenses: Sequence[Row]
    users: Sequence[Row]
    extensions: Sequence[Row]
    queues: Sequence[Row]
    agents: Sequence[Row]
    accounts: Sequence[Row]
    grants: Sequence[Row]


def build_snapshot(rows: DirectoryRows, now: dt.datetime, version: int) -> Snapshot:
    licensed_users, valid_until = decide_licensing(rows.licenses, rows.users, now)
    users_by_server = _group(rows.users, "core_server_id")
    extensions_by_server = _group(rows.extensions, "core_server_id")
    queues_by_server = _group(rows.queues, "core_server_id")
    agents_by_queue = _group(rows.agents, "queue_id")
    indexes = [
        _index_core_server(
            row,
            users_by_server.get(row["id"], ()),
            extensions_by_server.get(row["id"], ()),
            queues_by_server.get(row["id"], ()),
            agents_by_queue,
            licensed_users,
        )
        for row in sorted(rows.core_servers, key=creation_order)
    ]
    user_ids = {row["id"] for row in rows.users}
    accounts = _accounts(rows.accounts, rows.grants, user_ids)
    return Snapshot(
        version=version,
        built_at=now,
        valid_until=valid_until,
        core_servers=tuple(indexes),
        core_servers_by_id={i.entry.id.lower(): i for i in indexes},
        core_servers_by_slug={i.entry.slug: i for i in indexes},
        accounts_by_username={a.username: a for a in accounts},
    )


def _index_core_server(
    row: Row,
    user_rows: Sequence[Row],
    extension_rows: Sequence[Row],
    queue_rows: Sequence[Row],
    agents_by_queue: Mapping[str, Sequence[Row]],
    licensed_users: set[str],
) -> CoreServerIndex:
    server = CoreServerEntry(
        id=row["id"],
        slug=row["slug"],
        name=row["name"],
        enabled=bool(row["enabled"]),
        permission_id=row["permission_id"],
        ami_host=row["ami_host"],
        ami_port=row["ami_port"],
        ami_username=row["ami_username"],
        ami_secret=row["ami_secret"],
        originate_context=row["originate_context"],
        channel_template=row["channel_template"],
        ami_tls=bool(row["ami_tls"]),
        ami_tls_ca=row["ami_tls_ca"] or None,
        ami_auth=row["ami_auth"],
    )
    users = tuple(
        UserEntry(
            id=u["id"],
            core_server_id=server.id,
            username=u["username"],
            display_name=u["display_name"] or u["username"],
            permission_id=u["permission_id"],
            configuration_id=u["configuration_id"],
            licensed=u["id"] in licensed_users,
        )
        for u in sorted(user_rows, key=lambda u: (u["username"], u["id"]))
    )
    users_by_id = {u.id.lower(): u for u in users}
    extensions = tuple(
        _extension(e, server, users_by_id)
        for e in sorted(extension_rows, key=lambda e: _number_order(e["extension_number"]))
    )
    extensions_by_id = {e.id.lower(): e for e in extensions}
    queues = tuple(
        QueueEntry(
            id=q["id"],
            core_server_id=server.id,
            identifier=q["identifier"],
            display_name=q["display_name"] or q["identifier"],
            enabled=bool(q["enabled"]),
            permission_id=q["permission_id"],
            configuration_id=q["configuration_id"],
        )
        for q in sorted(queue_rows, key=lambda q: (q["identifier"], q["id"]))
    )
    agents = {
        q.id: tuple(
            _agent(a, q, extensions_by_id)
            for a in sorted(agents_by_queue.get(q.id, ()), key=creation_order)
        )
        for q in queues
    }
    return CoreServerIndex(
        entry=server,
        users=users,
        users_by_id=users_by_id,
        users_by_name={u.username: u for u in users},
        extensions=extensions,
        extensions_by_id=extensions_by_id,
        extensions_by_number={e.number: e for e in extensions},
        extensions_by_user=_tuples(_group_entries(extensions, "user_id")),
        extensions_by_device=_tuples(_group_by(extensions, "device")),
        queues=queues,
        queues_by_id={q.id.lower(): q for q in queues},
        queues_by_identifier={q.identifier: q for q in queues},
        agents_by_queue={q_id.lower(): members for q_id, members in agents.items()},
        agents_by_id={a.id.lower(): a for members in agents.values() for a in members},
        agents_by_extension=_tuples(
            _group_entries([a for members in agents.values() for a in members], "extension_id")
        ),
    )


def _extension(
    row: Row, server: CoreServerEntry, users_by_id: Mapping[str, UserEntry]
) -> ExtensionEntry:
    owner = users_by_id.get(row["user_id"].lower()) if row["user_id"] else None
    number = row["extension_number"]
    return ExtensionEntry(
        id=row["id"],
        core_server_id=server.id,
        number=number,
        display_name=row["display_name"] or (owner.display_name if owner else number),
        user_id=owner.id if owner else None,
        licensed=owner is not None and owner.licensed,
        device=row["channel"] or server.channel_template.replace("{number}", number),
        permission_id=row["permission_id"],
        configuration_id=row["configuration_id"],
    )


def _agent(row: Row, queue: QueueEntry, extensions: Mapping[str, ExtensionEntry]) -> AgentEntry:
    extension = extensions.get(row["extension_id"].lower()) if row["extension_id"] else None
    return AgentEntry(
        id=row["id"],
        queue_id=queue.id,
        core_server_id=queue.core_server_id,
        extension_id=extension.id if extension else None,
        name=row["name"] or (extension.display_name if extension else row["interface"] or ""),
        interface=row["interface"] or (f"{extension.device}" if extension else ""),
        dynamic=bool(row["dynamic"]),
        penalty=row["penalty"],
        permission_id=queue.permission_id,
    )


def _accounts(
    account_rows: Iterable[Row], grant_rows: Iterable[Row], user_ids: set[str]
) -> list[AccountEntry]:
    grants: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for grant in grant_rows:
        grants[grant["account_id"]][grant["action"]].add(grant["permission_id"])
    accounts = []
    for row in account_rows:
        held = grants.get(row["id"], {})
        every = held.get("all", set())
        accounts.append(
            AccountEntry(
                id=row["id"],
                username=row["username"],
                password_hash=row["password_hash"],
                is_admin=bool(row["is_admin"]),
                enabled=bool(row["enabled"]),
                user_id=row["user_id"] if row["user_id"] in user_ids else None,
                view_permissions=frozenset(held.get("view", set()) | every),
                originate_permissions=frozenset(held.get("originate", set()) | every),
                dnd_permissions=frozenset(held.get("dnd", set()) | every),
                control_permissions=frozenset(held.get("control", set()) | every),
                pause_permissions=frozenset(held.get("pause", set()) | every),
            )
        )
    return accounts


def _number_order(number: str) -> tuple[int, int, str]:
    if number.isascii() and number.isdigit() and len(number) <= 18:
        return (0, int(number), number)
    return (1, 0, number)


def _group(rows: Iterable[Row], key: str) -> dict[str, list[Row]]:
    groups: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        if row[key] is not None:
            groups[row[key]].append(row)
    return groups


def _group_entries(entries: Iterable[Any], attribute: str) -> dict[str, list[Any]]:
    groups: dict[str, list[Any]] = defaultdict(list)
    for entry in entries:
        value = getattr(entry, attribute)
        if value is not None:
            groups[value.lower()].append(entry)
    return groups


def _group_by(entries: Iterable[Any], attribute: str) -> dict[str, list[Any]]:
    """Like _group_entries, keeping the key's case (device names are case-sensitive)."""
    groups: dict[str, list[Any]] = defaultdict(list)
    for entry in entries:
        groups[getattr(entry, attribute)].append(entry)
    return groups


def _tuples(groups: Mapping[str, list[Any]]) -> dict[str, tuple[Any, ...]]:
    return {key: tuple(values) for key, values in groups.items()}
