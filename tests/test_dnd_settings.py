"""``[dnd] refresh_interval``: how often the DND family is read again (writes by other programs
raise no AMI event)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.settings import ConfigError, load_settings


def test_the_refresh_interval_is_thirty_seconds_unless_set(tmp_path: Path) -> None:
    assert load_settings(None, environ={}).dnd.refresh_interval == 30.0
    path = tmp_path / "bridge.toml"
    path.write_text("[dnd]\nrefresh_interval = 5\n")
    assert load_settings(path, environ={}).dnd.refresh_interval == 5.0
    environ = {"BRIDGE_DND_REFRESH_INTERVAL": "0.5"}
    assert load_settings(path, environ=environ).dnd.refresh_interval == 0.5


@pytest.mark.parametrize("value", ["0", "-1", "0.01", "3601", "'often'"])
def test_a_bad_refresh_interval_is_named(tmp_path: Path, value: str) -> None:
    path = tmp_path / "bridge.toml"
    path.write_text(f"[dnd]\nrefresh_interval = {value}\n")
    with pytest.raises(ConfigError, match=r"dnd\.refresh_interval"):
        load_settings(path, environ={})
