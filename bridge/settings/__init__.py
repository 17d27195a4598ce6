"""Settings: one frozen, typed object, loaded once at the edge from TOML plus environment.

Every key has a default. ``BRIDGE_<SECTION>_<KEY>`` environment variables override the file.
An unknown key or a bad value raises :class:`ConfigError` naming it.
"""

from bridge.settings.checks import ConfigError
from bridge.settings.http import HttpSettings
from bridge.settings.loading import load_settings
from bridge.settings.sections import (
    LOG_LEVELS,
    AmiSettings,
    DatabaseSettings,
    DndSettings,
    EventsSettings,
    LimitsSettings,
    LogSettings,
    MetricsSettings,
    Settings,
)

__all__ = [
    "LOG_LEVELS",
    "AmiSettings",
    "ConfigError",
    "DatabaseSettings",
    "DndSettings",
    "EventsSettings",
    "HttpSettings",
    "LimitsSettings",
    "LogSettings",
    "MetricsSettings",
    "Settings",
    "load_settings",
]
