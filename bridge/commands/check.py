"""``bridge check [SLUG]``: can the bridge do its work on each core server's AMI?

Each enabled core server (or the one named) is reached and logged in to with the service's own
code (:mod:`bridge.ami.connection`: MD5 challenge or plain, TLS verified against the same CAs),
then every action the bridge sends is tried in a form that changes nothing
(:data:`bridge.commands.probes.PROBES`). One line per check::

    default  login ok as 'bridge' at 127.0.0.1:5038 (Asterisk 22.10.1)
    default  DBPut: permission denied -> the AMI user needs write class 'system'

Exit code 0 when nothing is wrong anywhere, 1 otherwise. Nothing here prints a secret.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass, field

from bridge.ami.connection import (
    AmiEndpoint,
    ConnectFailed,
    LoginRefused,
    LoginUnanswered,
    ask,
    connect,
    log_in,
)
from bridge.ami.links import endpoint_of
from bridge.ami.protocol import Message
from bridge.ami.protocol_client import AmiDisconnected, ClientProtocol
from bridge.commands.database import migrated_engine
from bridge.commands.probes import CORE_SETTINGS, PROBES, READ_CLASSES, Need, Probe, class_list
from bridge.directory.build import build_snapshot
from bridge.directory.load import load_rows
from bridge.directory.snapshot import CoreServerIndex
from bridge.logs import escaped

Emit = Callable[[str], None]


class UnknownCoreServer(Exception):
    """No core server has the slug asked for."""


@dataclass(slots=True)
class ServerCheck:
    """The lines about one core server, and how many of them are problems."""

    slug: str
    emit: Emit
    problems: int = 0
    seen_classes: set[str] = field(default_factory=set)

    def ok(self, text: str) -> None:
        self.emit(f"{self.slug}  {text}")

    def problem(self, text: str) -> None:
        self.problems += 1
        self.emit(f"{self.slug}  {text}")

    def on_event(self, message: Message) -> None:
        privilege = message.exact("Privilege") or ""
        self.seen_classes.update(p.strip() for p in privilege.split(",") if p.strip() != "all")


async def run_check(url: str, slug: str | None, within: float, emit: Emit = print) -> int:
    """Check every enabled core server of the directory at ``url`` (or the one ``slug`` names,
    even when disabled); the number of problems found (nothing to check is one).
    UnknownCoreServer for a bad slug."""
    async with migrated_engine(url) as engine:
        rows = await load_rows(engine)
    servers = build_snapshot(rows, dt.datetime.now(dt.UTC), 0).core_servers
    if slug is not None:
        servers = tuple(s for s in servers if s.entry.slug == slug)
        if not servers:
            raise UnknownCoreServer(f"no core server '{escaped(slug)}'")
    problems = checked = 0
    for server in servers:
        check = ServerCheck(escaped(server.entry.slug), emit)
        if not server.entry.enabled:
            if slug is None:
                check.ok("disabled: not checked")
                continue
            check.ok("disabled (the service does not connect to it): checked all the same")
        await check_core_server(server, check, within)
        problems += check.problems
        checked += 1
    if not checked:
        emit("no enabled core server to check: the service would connect to none")
        return 1
    return problems


async def check_core_server(server: CoreServerIndex, check: ServerCheck, within: float) -> None:
    """Connect, log in, try every probe, log off; each outcome a line of ``check``."""
    entry = server.entry
    if entry.ami_secret.startswith("env:") and entry.ami_secret[4:] not in os.environ:
        check.problem(f"ami_secret names ${escaped(entry.ami_secret[4:])}, which is not set")
        return
    endpoint = endpoint_of(entry)
    if endpoint is None:  # only for an unset env: secret, answered above
        return
    where = escaped(str(endpoint))
    try:
        protocol = await connect(endpoint, lambda: ClientProtocol(check.on_event), within)
    except ConnectFailed as exc:
        check.problem(f"connect to {where}: {escaped(str(exc))}")
        return
    try:
        if not await _log_in(protocol, endpoint, check, within):
            return
        version = await _version(protocol, within)
        check.ok(f"login ok as '{escaped(endpoint.username)}' at {where} ({version})")
        has_queues = any(q.enabled for q in server.queues)
        for probe in PROBES:
            if not await _try(protocol, probe, check, within, has_queues):
                break
        else:
            _report_read_classes(check)
            with contextlib.suppress(Exception):
                await ask(protocol, {"Action": "Logoff"}, within)
    finally:
        protocol.close()
    if check.problems:
        check.emit(f"{check.slug}  {check.problems} problem{'s' if check.problems > 1 else ''}")
    else:
        check.ok("ok: the bridge can do all its work here")


async def _log_in(
    protocol: ClientProtocol, endpoint: AmiEndpoint, check: ServerCheck, within: float
) -> bool:
    user = f"'{escaped(endpoint.username)}'"
    try:
        await log_in(protocol, endpoint, within)
    except LoginRefused as exc:
        if "Authentication failed" in str(exc):
            check.problem(
                f"login as {user}: authentication failed -> check ami_username and ami_secret,"
                " and the user's permit/deny in manager.conf"
            )
        elif "Login Already In Use" in str(exc):
            check.problem(
                f"login as {user}: already in use -> this AMI user has allowmultiplelogin = no"
                " in manager.conf and is logged in elsewhere (the service?)"
            )
        elif "challenge" in str(exc):
            check.problem(
                f"login as {user}: {escaped(str(exc))} -> an AMI proxy without Challenge"
                " needs ami_auth = 'plain'"
            )
        else:
            check.problem(f"login as {user}: {escaped(str(exc))}")
        return False
    except LoginUnanswered as exc:
        check.problem(f"login as {user}: {exc} (is this port Asterisk's AMI?)")
        return False
    return True


async def _version(protocol: ClientProtocol, within: float) -> str:
    """``Asterisk 22.10.1`` from CoreSettings, else the banner's AMI version."""
    with contextlib.suppress(TimeoutError, AmiDisconnected):
        reply = await ask(protocol, CORE_SETTINGS, within)
        version = str(reply.response.get("AsteriskVersion") or "")
        if reply.response.get("Response") == "Success" and version:
            return f"Asterisk {escaped(version[:64])}"
    banner = protocol.banner or ""
    return escaped(banner.replace("Asterisk Call Manager/", "AMI ")[:64]) or "no banner"


async def _try(
    protocol: ClientProtocol, probe: Probe, check: ServerCheck, within: float, has_queues: bool
) -> bool:
    """Try one probe and say how it went; False when no more can be tried."""
    name = probe.action
    try:
        reply = await ask(protocol, probe.headers, within, expect_list=probe.list_reply)
    except TimeoutError:
        # Asterisk answers a session's actions in turn: the rest would wait behind this one.
        check.problem(f"{name}: no answer within {within:g} s; the rest not tried")
        return False
    except AmiDisconnected:
        check.problem(f"{name}: Asterisk closed the connection")
        return False
    message = escaped(str(reply.response.get("Message") or ""))[:200]
    if reply.response.get("Response") != "Error":
        check.ok(f"{name} ok")
    elif message == "Permission denied" and not probe.classes:
        check.problem(
            f"{name}: permission denied to every user -> is {probe.module or 'its module'} running?"
        )
    elif message == "Permission denied":
        check.problem(
            f"{name}: permission denied -> the AMI user needs write class"
            f" {class_list(probe.classes)} (for {probe.used_for})"
        )
    elif not message.startswith("Invalid/unknown command"):
        check.ok(f"{name} ok")  # refused only for the header left out: the classes passed
    elif probe.need is Need.ALWAYS or (probe.need is Need.QUEUES and has_queues):
        check.problem(f"{name}: unknown to this Asterisk -> load {probe.module or 'it'}")
    else:
        fine = (
            "fine while this core server has no queues"
            if probe.need is Need.QUEUES
            else f"only {probe.used_for} needs it"
        )
        check.ok(f"{name}: unknown to this Asterisk ({probe.module} not loaded); {fine}")
    return True


def _report_read_classes(check: ServerCheck) -> None:
    # No harmless action makes Asterisk send an event of these classes: they show only if
    # something happened on the PBX during the check.
    for name, used_for in READ_CLASSES:
        if name in check.seen_classes:
            check.ok(f"read '{name}' ok (events seen)")
        else:
            check.ok(
                f"read '{name}': no such event during the check, so not verified -> manager.conf"
                f" 'read =' must include it ({used_for})"
            )
