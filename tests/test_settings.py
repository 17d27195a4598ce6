"""Settings: TOML file, environment overrides, and clear refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.settings import ConfigError, Settings, load_settings

EXAMPLE = Path(__file__).resolve().parent.parent / "config" / "bridge.example.toml"


def test_defaults_match_the_contract() -> None:
    settings = load_settings(None, environ={})
    assert settings == Settings()
    assert (settings.http.host, settings.http.port, settings.http.max_body_bytes) == (
        "127.0.0.1",
        58080,
        65536,
    )
    assert settings.database.url == "sqlite+aiosqlite:///./bridge.db"
    assert (settings.ami.action_timeout, settings.ami.originate_timeout) == (5.0, 30.0)
    assert (settings.dnd.family, settings.dnd.value) == ("DND", "YES")
    assert settings.limits.originate_per_minute == 30
    assert (settings.log.level, settings.log.format) == ("info", "text")


def test_example_config_loads_and_is_the_defaults() -> None:
    assert load_settings(EXAMPLE, environ={}) == Settings()


def test_file_then_environment(tmp_path: Path) -> None:
    path = tmp_path / "bridge.toml"
    path.write_text('[http]\nport = 9000\nhost = "192.0.2.1"\n[ami]\naction_timeout = 2\n')
    settings = load_settings(
        path,
        environ={
            "BRIDGE_HTTP_PORT": "9100",
            "BRIDGE_DATABASE_URL": "postgresql+asyncpg://x/y",
            "BRIDGE_HTTP_CORS_ORIGINS": "https://a, https://b",
        },
    )
    assert settings.http.port == 9100
    assert settings.http.host == "192.0.2.1"
    assert settings.ami.action_timeout == 2.0
    assert settings.database.url == "postgresql+asyncpg://x/y"
    assert settings.http.cors_origins == ("https://a", "https://b")


@pytest.mark.parametrize(
    ("text", "env", "named"),
    [
        ("[http]\nprot = 1\n", {}, "http.prot"),
        ("[htp]\nport = 1\n", {}, "[htp]"),
        ("[http]\nport = 'x'\n", {}, "http.port"),
        ("[http]\nport = 70000\n", {}, "http.port"),
        ("[http]\nport = true\n", {}, "http.port"),
        ("[log]\nformat = 'xml'\n", {}, "log.format"),
        ("[database]\nurl = 'mysql://x'\n", {}, "database.url"),
        ("", {"BRIDGE_HTTP_PORT": "eighty"}, "BRIDGE_HTTP_PORT"),
        ("", {"BRIDGE_AMI_ACTION_TIMEOUT": "0"}, "ami.action_timeout"),
        ("[http]\nkeepalive_timeout = 0\n", {}, "http.keepalive_timeout"),
        ("[http]\nheader_timeout = -1\n", {}, "http.header_timeout"),
        ("", {"BRIDGE_HTTP_BODY_TIMEOUT": "0"}, "http.body_timeout"),
        ("[http]\nmax_connections = -1\n", {}, "http.max_connections"),
        ("", {"BRIDGE_HTTP_MAX_CONNECTIONS_PER_ADDRESS": "-5"}, "max_connections_per_address"),
        ("[http]\nworkers = 0\n", {}, "http.workers must be 1 to 64"),
        ("", {"BRIDGE_HTTP_WORKERS": "65"}, "http.workers must be 1 to 64"),
        ("[http]\nworkers = 2\nport = 0\n", {}, "http.port must name a port"),
        ("[http\n", {}, "cannot be read"),
        ("http = 1\n", {}, "[http] must be a table"),
        ("[http]\ntls_certificate = '/etc/c.pem'\n", {}, "http.tls_key"),
        ("", {"BRIDGE_HTTP_TLS_KEY": "/etc/k.pem"}, "http.tls_certificate"),
        ("[http]\nallowed_hosts = ['pbx.example.com:8443']\n", {}, "http.allowed_hosts"),
        ("[http]\nallowed_hosts = ['https://pbx.example.com']\n", {}, "http.allowed_hosts"),
    ],
)
def test_bad_keys_and_values_are_named(
    tmp_path: Path, text: str, env: dict[str, str], named: str
) -> None:
    path = tmp_path / "bridge.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=named.replace("[", r"\[").replace(".", r"\.")):
        load_settings(path, environ=env)


def test_other_bridge_variables_are_left_alone() -> None:
    # e.g. an AMI secret kept in the environment (core_servers.ami_secret = 'env:NAME')
    assert load_settings(None, environ={"BRIDGE_AMI_SECRET_DEFAULT": "s3cret"}) == Settings()


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml", environ={})
