"""What a PBX has, read for ``bridge import``: extensions, queues and their static members.

Two readers fill an :class:`Inventory`: :mod:`bridge.inventory.ami` asks Asterisk itself and
:mod:`bridge.inventory.freepbx` reads FreePBX's own tables; :mod:`bridge.inventory.apply`
writes it into the directory. Everything here came from the PBX, so it is hostile: names are
cleaned (control characters dropped, whitespace collapsed, length capped) and identifiers that
cannot be kept exact (an extension number with spaces, a queue name with a control character)
are left out with a note saying so, never altered.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from bridge.logs import escaped

NAME_LENGTH = 80  # longer names are cut
# What an extension number may be: what can be dialled (the originate rule), at most 32.
NUMBER = re.compile(r"[0-9A-Za-z*#+]{1,32}")
IDENTIFIER_LENGTH = 128  # queue names and member interfaces


class InventoryError(Exception):
    """The PBX could not be read; the message says why in words (never a secret)."""


@dataclass(frozen=True, slots=True)
class PbxExtension:
    """An extension: its number, the name its phone shows (None: none known), its device
    (None: the core server's ``channel_template`` makes it)."""

    number: str
    name: str | None
    device: str | None


@dataclass(frozen=True, slots=True)
class PbxQueue:
    """A queue: the Asterisk queue name and its description (None: the PBX has none)."""

    identifier: str
    name: str | None


@dataclass(frozen=True, slots=True)
class PbxMember:
    """A static queue member: the interface Asterisk calls (``Location``), the device whose
    state it follows, its name (None: none given) and penalty."""

    queue: str
    interface: str
    state_interface: str
    name: str | None
    penalty: int


@dataclass(slots=True)
class Inventory:
    """One PBX's extensions, queues and static members, and notes on what was left out."""

    source: str
    extensions: list[PbxExtension] = field(default_factory=list)
    queues: list[PbxQueue] = field(default_factory=list)
    members: list[PbxMember] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def skip(self, what: str, value: str, why: str) -> None:
        self.skipped.append(f"skipped {what} {quoted(value)}: {why}")


def clean_name(value: object) -> str | None:
    """A display name fit for the directory: text with control and format characters dropped,
    whitespace runs made one space, one pair of surrounding quotes removed, at most
    ``NAME_LENGTH`` characters; None when nothing is left."""
    if not isinstance(value, str):
        return None
    kept = "".join(
        " " if char.isspace() else char
        for char in value
        if char.isspace() or unicodedata.category(char)[0] != "C"
    )
    text = " ".join(kept.split())
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1].strip()
    return text[:NAME_LENGTH].rstrip() or None


def is_number(value: str) -> bool:
    """True when ``value`` can be an extension number as it stands."""
    return NUMBER.fullmatch(value) is not None


def is_identifier(value: str) -> bool:
    """True when ``value`` (a queue name, an interface) can be kept exact: printable, no
    spaces at its ends, at most ``IDENTIFIER_LENGTH`` characters."""
    return 0 < len(value) <= IDENTIFIER_LENGTH and value.isprintable() and value == value.strip()


def penalty_of(value: str) -> int:
    """A member penalty: a whole number 0..1,000,000, anything else 0."""
    text = value.strip()
    return min(int(text), 1_000_000) if text.isdigit() and len(text) <= 7 else 0


def quoted(value: str) -> str:
    """``value`` for a line of output: quoted, unprintable characters escaped, cut at 80."""
    text = escaped(value)
    return f"'{text[:80]}{'...' if len(text) > 80 else ''}'"
