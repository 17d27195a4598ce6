"""config/bridge.service: what the README promises of the systemd unit."""

from __future__ import annotations

import configparser
from pathlib import Path

UNIT = Path(__file__).resolve().parent.parent / "config" / "bridge.service"


def unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys keep their case
    parser.read(UNIT, encoding="utf-8")
    return parser


def test_the_unit_is_a_notify_service_that_stops_cleanly() -> None:
    service = unit()["Service"]
    assert service["Type"] == "notify" and service["KillSignal"] == "SIGTERM"
    assert service["Restart"] == "on-failure"
    # SIGTERM drains for at most aiohttp's graceful wait; systemd must not SIGKILL before it
    assert int(service["TimeoutStopSec"]) >= 65
    # with [http] workers, SIGTERM goes to the supervisor alone, which stops its workers in turn
    # (a worker that stopped before it heard would be taken for a crash); SIGKILL to all at last
    assert service["KillMode"] == "mixed" and service["NotifyAccess"] == "main"


def test_the_unit_leaves_room_for_connections_and_is_hardened() -> None:
    service = unit()["Service"]
    # the usual 1,024 files are a few hundred clients: the connection cap is derived from this
    assert int(service["LimitNOFILE"]) >= 65536
    assert service["NoNewPrivileges"] == "yes" and service["ProtectSystem"] == "strict"
    assert service["User"] == "bridge"
