"""Checks of what an admin types for a core server, each failing with a message that says
what is wrong and what would be right (ValueProblem)."""

from __future__ import annotations

import ipaddress
import re
import ssl
from pathlib import Path

AMI_PORT, AMI_TLS_PORT = 5038, 5039
SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
HOST_LABEL = re.compile(r"[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?")
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
NUMBER = "{number}"


class ValueProblem(ValueError):
    """A value given on the command line cannot be used; the message says why."""


def check_slug(slug: str) -> str:
    if SLUG.fullmatch(slug) is None:
        raise ValueProblem(
            f"{slug!r} is not a usable core server slug: 1 to 64 letters, digits, '.', '_' or"
            " '-', starting with a letter or digit (it goes into URLs: getByName/SLUG)"
        )
    return slug


def parse_ami_address(text: str) -> tuple[str, int | None]:
    """``HOST``, ``HOST:PORT``, ``[IPv6]:PORT`` or a bare IPv6 address; the port is None when
    not given."""
    text = text.strip()
    port_text: str | None = None
    if text.startswith("["):
        host, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise ValueProblem(f"--ami {text!r}: write an IPv6 address with a port as [ADDR]:PORT")
        port_text = rest[1:] if rest else None
        _check_ip(host, text)
    elif text.count(":") > 1:
        host = text
        _check_ip(host, text)
    else:
        host, colon, port = text.partition(":")
        port_text = port if colon else None
        check_host(host)
    return host, check_port(port_text) if port_text is not None else None


def default_port(tls: bool) -> int:
    """5038, or 5039 with TLS (Asterisk's usual ``bindport`` and ``tlsbindport``)."""
    return AMI_TLS_PORT if tls else AMI_PORT


def _check_ip(host: str, text: str) -> None:
    try:
        ipaddress.IPv6Address(host)
    except ValueError:
        raise ValueProblem(f"--ami {text!r}: {host!r} is not an IPv6 address") from None


def check_host(host: str) -> str:
    if not host:
        raise ValueProblem("--ami needs a host name or IP address, as HOST or HOST:PORT")
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    labels = host.removesuffix(".").split(".")
    if len(host) > 253 or not all(HOST_LABEL.fullmatch(label) for label in labels):
        raise ValueProblem(
            f"--ami: {host!r} is not a host name or IP address (letters, digits, '-' and dots)"
        )
    return host


def check_port(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 65535:
        raise ValueProblem(f"--ami: the AMI port must be a number from 1 to 65535, not {text!r}")
    return int(text)


def check_channel_template(template: str) -> str:
    if NUMBER not in template:
        raise ValueProblem(
            f"--channel-template {template!r} must contain {NUMBER}, which the extension"
            " number replaces (as in PJSIP/{number})"
        )
    if "/" not in template.partition(NUMBER)[0] or _has_space_or_control(template):
        raise ValueProblem(
            f"--channel-template {template!r} must be TECH/RESOURCE with no spaces, as in"
            " PJSIP/{number}, SIP/{number} or Local/{number}@from-internal"
        )
    return template


def check_word(option: str, value: str) -> str:
    """A context or an AMI username: one word, no spaces or control characters."""
    if not value or _has_space_or_control(value) or len(value) > 80:
        raise ValueProblem(f"{option} must be 1 to 80 characters with no spaces, not {value!r}")
    return value


def check_name(name: str) -> str:
    if not name.strip() or len(name) > 200 or any(not c.isprintable() for c in name):
        raise ValueProblem("--name must be 1 to 200 printable characters")
    return name


def check_secret(secret: str) -> str:
    """A secret as stored in ``ami_secret``: the secret itself, or ``env:NAME``. The message
    never repeats the value."""
    if secret.startswith("env:"):
        if ENV_NAME.fullmatch(secret[4:]) is None:
            raise ValueProblem(
                "--secret env:NAME needs the name of an environment variable"
                " (letters, digits and '_', not starting with a digit)"
            )
        return secret
    if not secret:
        raise ValueProblem("the AMI secret is empty")
    if any(not c.isprintable() for c in secret):
        raise ValueProblem("the AMI secret holds a line break or another control character")
    return secret


def check_ca_file(path: str) -> str:
    """The absolute path of a readable PEM file of CA certificates (the service may run from
    another directory)."""
    try:
        ssl.create_default_context(cafile=path)
    except ssl.SSLError:
        raise ValueProblem(f"--ca {path}: not a PEM file of CA certificates") from None
    except OSError as exc:
        raise ValueProblem(f"--ca {path}: {exc.strerror or type(exc).__name__}") from None
    return str(Path(path).resolve())


def _has_space_or_control(text: str) -> bool:
    return any(c.isspace() or not c.isprintable() for c in text)
