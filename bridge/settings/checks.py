"""How a section's ``validate`` refuses a value: :class:`ConfigError`, naming the key."""

from __future__ import annotations


class ConfigError(Exception):
    """The configuration file or environment holds an unknown key or a bad value."""


def check(condition: bool, name: str, message: str) -> None:
    if not condition:
        raise ConfigError(f"{name} {message}")
