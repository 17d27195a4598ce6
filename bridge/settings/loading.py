"""Loading settings once, at the edge: a TOML file, then ``BRIDGE_<SECTION>_<KEY>``
environment variables over it. An unknown key or a bad value raises :class:`ConfigError`
naming it."""

from __future__ import annotations

import dataclasses
import os
import tomllib
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bridge.settings.checks import ConfigError
from bridge.settings.sections import Settings


def load_settings(
    path: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Read ``path`` (if given) and apply ``BRIDGE_<SECTION>_<KEY>`` overrides from ``environ``."""
    environ = os.environ if environ is None else environ
    raw: dict[str, Any] = {}
    if path is not None:
        try:
            raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"config file {path} does not exist") from None
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"config file {path} cannot be read: {exc}") from None
    sections: dict[str, Any] = {}
    section_types = {f.name: f.type for f in dataclasses.fields(Settings)}
    for name, table in raw.items():
        if name not in section_types:
            raise ConfigError(f"unknown section [{name}] in the config file")
        if not isinstance(table, dict):
            raise ConfigError(f"[{name}] must be a table")
    for name in section_types:
        section_cls = _section_class(name)
        values = dict(raw.get(name, {}))
        hints = typing.get_type_hints(section_cls)
        for key in values:
            if key not in hints:
                raise ConfigError(f"unknown key {name}.{key} in the config file")
        for key in hints:
            env_name = f"BRIDGE_{name.upper()}_{key.upper()}"
            if env_name in environ:
                values[key] = _from_env(environ[env_name], hints[key], env_name)
        converted = {k: _coerce(v, hints[k], f"{name}.{k}") for k, v in values.items()}
        sections[name] = section_cls(**converted)
    settings = Settings(**sections)
    settings.validate()
    return settings


def _section_class(name: str) -> type[Any]:
    cls = typing.get_type_hints(Settings)[name]
    assert isinstance(cls, type)
    return cls


def _from_env(text: str, hint: Any, name: str) -> Any:
    if hint is bool:
        lowered = text.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{name} must be true or false, not {text!r}")
    if typing.get_origin(hint) is tuple:
        return tuple(part.strip() for part in text.split(",") if part.strip())
    if hint is int:
        try:
            return int(text)
        except ValueError:
            raise ConfigError(f"{name} must be a whole number, not {text!r}") from None
    if hint is float:
        try:
            return float(text)
        except ValueError:
            raise ConfigError(f"{name} must be a number, not {text!r}") from None
    return text


def _coerce(value: Any, hint: Any, name: str) -> Any:
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if typing.get_origin(hint) is tuple:
        if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
            return tuple(value)
        raise ConfigError(f"{name} must be a list of strings")
    expected = hint if isinstance(hint, type) else None
    if expected is None or isinstance(hint, types.UnionType):
        return value
    if isinstance(value, bool) and expected is not bool:
        raise ConfigError(f"{name} must be of type {expected.__name__}, not a boolean")
    if not isinstance(value, expected):
        raise ConfigError(f"{name} must be of type {expected.__name__}, not {value!r}")
    return value
