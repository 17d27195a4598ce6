"""Reads a PBX's inventory from FreePBX's own MariaDB tables, read-only.

The tables, as FreePBX 17's core and queues modules define them (their ``module.xml``;
``tests/fixtures/freepbx/asterisk.sql`` has the layout): ``users`` (``extension``, ``name``),
``devices`` (``id``, ``tech``, ``dial`` such as ``PJSIP/101``, ``description``, ``user``),
``queues_config`` (``extension``: the Asterisk queue name, ``descr``) and ``queues_details``
(``id`` the queue, ``keyword = 'member'``, ``data`` such as ``Local/101@from-queue/n,0`` or
``PJSIP/101,0``: interface and penalty). FreePBX writes such a Local member into queues.conf
with the state interface ``hint:101@ext-local``, so that is the member's state interface here.

Only SELECTs run, inside ``START TRANSACTION READ ONLY``, which is rolled back: nothing is ever
written to FreePBX's database, and a database user with SELECT on those four tables is enough.
The password in the URL never appears in a message.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote

import pymysql
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from bridge.inventory import (
    Inventory,
    InventoryError,
    PbxExtension,
    PbxMember,
    PbxQueue,
    clean_name,
    is_identifier,
    is_number,
    penalty_of,
)

QUERIES = {
    "users": "SELECT extension, name FROM users ORDER BY extension",
    "devices": "SELECT id, dial, description, user FROM devices ORDER BY id",
    "queues": "SELECT extension, descr FROM queues_config ORDER BY extension",
    "members": (
        "SELECT id, data FROM queues_details WHERE keyword = 'member' ORDER BY id, flags, data"
    ),
}
_LOCAL_MEMBER = re.compile(r"Local/([0-9]+)@from-queue(?:/n)?")


def database_url(text: str) -> URL:
    """``mysql://user[:password]@host[:port]/database`` (``mysql+pymysql://`` too, and
    ``?unix_socket=PATH``); InventoryError, never naming the password, when it is not one."""
    try:
        url = make_url(text)
    except (ArgumentError, ValueError):
        raise InventoryError(
            "--database is not a URL like mysql://user:pass@host/asterisk"
        ) from None
    if url.drivername not in ("mysql", "mysql+pymysql", "mariadb", "mariadb+pymysql"):
        raise InventoryError(f"--database must be a mysql:// URL (not {url.drivername}://)")
    if not url.database:
        raise InventoryError("--database names no database (mysql://user:pass@host/asterisk)")
    return url


def read_freepbx_inventory(url: URL, within: float) -> Inventory:
    """FreePBX's extensions, queues and static members, from the database at ``url``."""
    rows = _select(url, within)
    inventory = Inventory(f"FreePBX's database {url.database} at {url.host or 'localhost'}")
    _extensions(rows["users"], rows["devices"], inventory)
    _queues(rows["queues"], rows["members"], inventory)
    return inventory


def _select(url: URL, within: float) -> dict[str, Sequence[Sequence[Any]]]:
    password = url.password if isinstance(url.password, str) else None
    socket = url.query.get("unix_socket")
    try:
        connection = pymysql.connect(
            host=url.host or "localhost",
            port=url.port or 3306,
            user=url.username or "",
            password=password or "",
            database=url.database,
            unix_socket=socket if isinstance(socket, str) else None,
            charset="utf8mb4",
            connect_timeout=within,
            read_timeout=within,
        )
    except pymysql.Error as exc:
        raise InventoryError(f"cannot read FreePBX's database: {_said(exc, password)}") from None
    try:
        with connection.cursor() as cursor:
            cursor.execute("START TRANSACTION READ ONLY")
            rows = {}
            for name, query in QUERIES.items():
                cursor.execute(query)
                rows[name] = cursor.fetchall()
        connection.rollback()
        return rows
    except pymysql.Error as exc:
        raise InventoryError(f"cannot read FreePBX's tables: {_said(exc, password)}") from None
    finally:
        connection.close()


def _said(exc: pymysql.Error, password: str | None) -> str:
    """What the server or driver said, in one line, with the password (if echoed) blanked."""
    args = exc.args
    text = str(args[1] if len(args) > 1 else args[0] if args else type(exc).__name__)
    for secret in {password or "", unquote(password or "")} - {""}:
        text = text.replace(secret, "***")
    return " ".join(text.split())[:200]


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return value if isinstance(value, str) else "" if value is None else str(value)


def _extensions(
    users: Sequence[Sequence[Any]], devices: Sequence[Sequence[Any]], inventory: Inventory
) -> None:
    by_id: dict[str, Sequence[Any]] = {}
    by_user: dict[str, Sequence[Any]] = {}
    for row in devices:
        by_id.setdefault(_text(row[0]), row)
        by_user.setdefault(_text(row[3]), row)
    seen: set[str] = set()
    for extension, name in users:
        number = _text(extension)
        if not is_number(number):
            inventory.skip("extension", number, "not a usable extension number")
            continue
        if number in seen:
            continue
        seen.add(number)
        device = by_id.get(number) or by_user.get(number)
        dial = _text(device[1]) if device else ""
        if dial and not is_identifier(dial):
            inventory.skip("device", dial, f"of extension {number}: not a usable device name")
            dial = ""
        shown = clean_name(_text(name)) or (clean_name(_text(device[2])) if device else None)
        inventory.extensions.append(PbxExtension(number, shown, dial or None))


def _queues(
    queues: Sequence[Sequence[Any]], members: Sequence[Sequence[Any]], inventory: Inventory
) -> None:
    known: set[str] = set()
    for extension, descr in queues:
        identifier = _text(extension)
        if not is_identifier(identifier):
            inventory.skip("queue", identifier, "not a usable queue name")
        elif identifier not in known:
            known.add(identifier)
            inventory.queues.append(PbxQueue(identifier, clean_name(_text(descr))))
    for queue, data in members:
        identifier = _text(queue)
        if identifier not in known:
            continue
        interface, comma, penalty = _text(data).rpartition(",")
        if not comma:
            interface, penalty = _text(data), "0"
        if not is_identifier(interface):
            inventory.skip("member", interface, f"of queue {identifier}: not a usable interface")
            continue
        local = _LOCAL_MEMBER.fullmatch(interface)
        state = f"hint:{local[1]}@ext-local" if local else ""
        inventory.members.append(PbxMember(identifier, interface, state, None, penalty_of(penalty)))
