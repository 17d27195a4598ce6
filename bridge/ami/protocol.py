"""The AMI wire format: messages of ``Key: value`` lines ended by a blank line.

Asterisk writes ``\\r\\n`` line ends, one ``Asterisk Call Manager/11.0.0`` banner line on connect,
repeats some keys (``Output``, ``Variable``) and puts ``: `` inside values. :class:`AmiParser` reads
that from raw socket chunks, decoding UTF-8 incrementally so that a character split across two
reads survives; :func:`encode` writes a message back.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator, Mapping
from itertools import repeat

Header = tuple[str, str]


class Message:
    """One AMI message: headers in wire order, repeated keys kept, keys looked up case-blind.

    A lookup returns the first header of that name, as Asterisk's own ``astman_get_header`` does.
    :attr:`fields` is the dict of exact header names (the fast path: Asterisk spells its header
    names one way, so hot code asks with that spelling). Messages the parser makes hold their
    fields at once and their ordered header list only when asked. A line without a colon inside
    a message is kept as a header with the empty key.
    """

    __slots__ = ("_fields", "_folded", "_headers", "_lines")

    def __init__(self, headers: Iterable[Header] | Mapping[str, str] = ()) -> None:
        items = headers.items() if isinstance(headers, Mapping) else headers
        self._headers: list[Header] | None = list(items)
        self._lines: list[str] | None = None
        self._fields: dict[str, str] | None = None
        self._folded: dict[str, str] | None = None

    @classmethod
    def adopt(cls, headers: list[Header]) -> Message:
        """Wrap ``headers`` without copying (the caller gives the list up)."""
        message = cls.__new__(cls)
        message._headers = headers
        message._lines = None
        message._fields = None
        message._folded = None
        return message

    @classmethod
    def parsed(cls, fields: dict[str, str], lines: list[str]) -> Message:
        """What the parser makes: ``fields`` of ``Key: value`` lines with no repeated key."""
        message = cls.__new__(cls)
        message._headers = None
        message._lines = lines
        message._fields = fields
        message._folded = None
        return message

    @property
    def headers(self) -> list[Header]:
        headers = self._headers
        if headers is None:
            headers = self._headers = [_split_line(line) for line in self._lines or ()]
        return headers

    @property
    def fields(self) -> dict[str, str]:
        """Exact header name -> the first value of that name."""
        fields = self._fields
        if fields is None:
            fields = self._fields = dict(reversed(self.headers))
        return fields

    def get(self, key: str, default: str | None = None) -> str | None:
        """The value of the first header named ``key`` (any case), else ``default``."""
        value = self.fields.get(key)
        if value is not None:
            return value
        folded = self._folded
        if folded is None:
            folded = self._folded = {k.lower(): v for k, v in reversed(self.headers)}
        return folded.get(key.lower(), default)

    def exact(self, key: str) -> str | None:
        """The first header spelt exactly ``key``."""
        return self.fields.get(key)

    def get_all(self, key: str) -> list[str]:
        """Every value of the headers named ``key`` (any case), in order."""
        wanted = key.lower()
        return [v for k, v in self.headers if k.lower() == wanted]

    def add(self, key: str, value: str) -> None:
        """Append one header."""
        self.headers.append((key, value))
        self._lines = None
        self._fields = self._folded = None

    def keys(self) -> list[str]:
        """Header names in wire order, repeats included."""
        return [k for k, _ in self.headers]

    @property
    def name(self) -> str | None:
        """The ``Event``, ``Response`` or ``Action`` value, whichever the message has."""
        for key in ("Event", "Response", "Action"):
            value = self.get(key)
            if value is not None:
                return value
        return None

    def __getitem__(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def __iter__(self) -> Iterator[Header]:
        return iter(self.headers)

    def __len__(self) -> int:
        return len(self.headers)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Message):
            return NotImplemented
        return self.headers == other.headers

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Message({self.headers!r})"


def encode(message: Message | Iterable[Header] | Mapping[str, str]) -> bytes:
    """The wire form of a message: ``Key: value\\r\\n`` per header, then a blank line.

    Raises ``ValueError`` when a key or value holds CR or LF (that would inject headers).
    """
    if isinstance(message, Mapping):
        headers: Iterable[Header] = message.items()
    elif isinstance(message, Message):
        headers = message.headers
    else:
        headers = message
    lines = [f"{k}: {v}\r\n" if k else f"{v}\r\n" for k, v in headers]
    text = "".join(lines)
    if text.count("\n") != len(lines) or text.count("\r") != len(lines):
        bad = next(line for line in lines if line.count("\n") + line.count("\r") != 2)
        raise ValueError(f"CR or LF inside an AMI header: {bad[:-2]!r}")
    return (text + "\r\n").encode()


class AmiParser:
    """Incremental AMI parser: :meth:`feed` raw bytes, get the messages they complete.

    Accepts ``\\r\\n`` and bare ``\\n`` line ends; strips the one space after the colon only, so
    indented values (CLI ``Output`` lines) keep their leading spaces. With ``expect_banner`` the
    first line of the stream, if it has no colon, is taken as the banner and kept in
    :attr:`banner` instead of starting a message. Runs of blank lines yield nothing.
    """

    __slots__ = ("_banner_pending", "_decoder", "_tail", "banner")

    def __init__(self, *, expect_banner: bool = True) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._tail = ""
        self._banner_pending = expect_banner
        self.banner: str | None = None

    def feed(self, data: bytes) -> list[Message]:
        """Parse one chunk; returns the messages completed by it (often none, or several)."""
        text = self._tail + self._decoder.decode(data)
        if "\r" in text:
            text = text.replace("\r\n", "\n")
        if self._banner_pending:
            text = self._take_banner(text)
        blocks = text.split("\n\n")
        self._tail = blocks.pop()
        messages: list[Message] = []
        for block in blocks:
            if block[:1] == "\n":
                block = block.lstrip("\n")
            if not block:
                continue
            lines = block.split("\n")
            try:
                # the fast path: every line "Key: value", no key twice (nearly every event)
                fields = dict(map(str.split, lines, repeat(": "), repeat(1)))
            except ValueError:
                fields = None
            if fields is not None and len(fields) == len(lines):
                messages.append(Message.parsed(fields, lines))
            else:
                messages.append(Message.adopt([_split_line(line) for line in lines]))
        return messages

    def _take_banner(self, text: str) -> str:
        stripped = text.lstrip("\n")
        line, newline, rest = stripped.partition("\n")
        if not newline:
            return text
        self._banner_pending = False
        if ":" in line:
            return text
        self.banner = line
        return rest

    @property
    def pending(self) -> bool:
        """True when a message has started but its blank line has not arrived yet."""
        return bool(self._tail.strip("\n"))


def _split_line(line: str) -> Header:
    key, colon, value = line.partition(":")
    if not colon:
        return ("", line)
    return (key, value[1:] if value[:1] == " " else value)
