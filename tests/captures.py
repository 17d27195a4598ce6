"""The recorded AMI captures (``tests/fixtures/ami-captures``) and how to replay them.

A capture is cut into steps: what the client wrote, then everything Asterisk sent before the
client's next write. :func:`replay` writes each step's bytes to a server and reads back as many
messages as the capture shows, so the two streams can be compared after :func:`normalise`, which
rewrites only the values that legitimately differ between two runs.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from ssl import SSLContext

from bridge.ami.protocol import AmiParser, Message

CAPTURES = Path(__file__).resolve().parent / "fixtures" / "ami-captures"
BANNER = b"Asterisk Call Manager/11.0.0\r\n"

_FIXED = (
    (re.compile(r"^(Uptime|LastReload): \d+(?=\r?$)", re.M), r"\1: <seconds>"),
    (re.compile(r"^(EventTV|SessionTV): \S+(?=\r?$)", re.M), r"\1: <time>"),
    (re.compile(r"^Timestamp: \d+\.\d+(?=\r?$)", re.M), "Timestamp: <time>"),
    (
        re.compile(r"^LocalAddress: IPV4/(TCP|TLS)/127\.0\.0\.1/\d+(?=\r?$)", re.M),
        r"LocalAddress: IPV4/\1/<server>",
    ),
    (re.compile(r"^Duration: \d\d:\d\d:\d\d(?=\r?$)", re.M), "Duration: <duration>"),
)
# Values numbered by first appearance, so that "the same id" relations still have to hold.
_NUMBERED = (
    ("session", re.compile(r"(?<=^SessionID: )0x[0-9a-f]+(?=\r?$)", re.M)),
    ("client", re.compile(r"(?<=^RemoteAddress: IPV4/T(?:CP|LS)/127\.0\.0\.1/)\d+(?=\r?$)", re.M)),
    ("uid", re.compile(r"(?<![\d.])\d{9,11}\.\d+(?![\d.])")),
    ("chan", re.compile(r"(?<=-)[0-9a-f]{8}(?=;[12])")),
    # A queue member's epoch times: set by the lab's clock (0, "never", is kept).
    ("lastcall", re.compile(r"(?<=^LastCall: )[1-9]\d{8,}(?=\r?$)", re.M)),
    ("lastpause", re.compile(r"(?<=^LastPause: )[1-9]\d{8,}(?=\r?$)", re.M)),
    ("logintime", re.compile(r"(?<=^LoginTime: )[1-9]\d{8,}(?=\r?$)", re.M)),
)


@dataclass(frozen=True, slots=True)
class Step:
    """What the client wrote, and what the server sent before the client's next write."""

    sent: bytes
    expected: bytes


@dataclass(frozen=True, slots=True)
class Capture:
    """One recorded connection."""

    name: str
    steps: list[Step]
    closed_by_server: bool

    @property
    def server_bytes(self) -> bytes:
        """Everything the server sent, in order."""
        return b"".join(step.expected for step in self.steps)


def load(name: str) -> Capture:
    """Read ``NAME.jsonl``."""
    steps: list[Step] = []
    sent, expected, closed = b"", b"", False
    for line in (CAPTURES / f"{name}.jsonl").read_text().splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        if record["dir"] == "c2s":
            if sent or expected:
                steps.append(Step(sent, expected))
            sent, expected = record["data"].encode(), b""
        elif record["dir"] == "s2c":
            expected += record["data"].encode()
        else:
            closed = True
    steps.append(Step(sent, expected))
    return Capture(name, steps, closed)


def count_messages(data: bytes) -> int:
    """Complete messages in ``data`` (the banner line counts as one)."""
    return data.count(b"\r\n\r\n") + (1 if data.startswith(BANNER) else 0)


def normalise(data: bytes) -> str:
    """The stream as text with time stamps, ports, session ids, Uniqueids, channel numbers and
    queue members' epoch times replaced (the last ones by order of first appearance)."""
    text = data.decode()
    for pattern, replacement in _FIXED:
        text = pattern.sub(replacement, text)
    for kind, pattern in _NUMBERED:
        text = pattern.sub(_Numberer(kind), text)
    return text


class _Numberer:
    """``re.sub`` replacement: ``<kind1>``, ``<kind2>``... by first appearance of a value."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.seen: dict[str, str] = {}

    def __call__(self, match: re.Match[str]) -> str:
        return self.seen.setdefault(match[0], f"<{self.kind}{len(self.seen) + 1}>")


async def read_messages(reader: asyncio.StreamReader, count: int) -> bytes:
    """Read until ``count`` complete messages have arrived (or the server closed)."""
    data = b""
    while count_messages(data) < count:
        chunk = await reader.read(65536)
        if not chunk:
            break
        data += chunk
    return data


Counted = Callable[[Message], bool]
_NAME = re.compile(rb"\b((?:Local|PJSIP)/[^\s;]+?)-([0-9a-f]{8})(?=;[12]|\r|\n|$)")


def _channel_numbers(data: bytes) -> dict[bytes, list[bytes]]:
    """Device -> the channel numbers of its channels, in order of first appearance."""
    numbers: dict[bytes, list[bytes]] = {}
    for match in _NAME.finditer(data):
        seen = numbers.setdefault(match[1], [])
        if match[2] not in seen:
            seen.append(match[2])
    return numbers


def rename_channels(sent: bytes, captured: bytes, received: bytes) -> bytes:
    """``sent`` with the lab's channel names replaced by the server's: the n-th channel of a
    device in the capture is the n-th one of that device the server made (a client names
    channels as it learned them from the events)."""
    lab, ours = _channel_numbers(captured), _channel_numbers(received)

    def rename(match: re.Match[bytes]) -> bytes:
        numbers = lab.get(match[1], [])
        index = numbers.index(match[2]) if match[2] in numbers else -1
        known = ours.get(match[1], [])
        return match[1] + b"-" + known[index] if 0 <= index < len(known) else match[0]

    return _NAME.sub(rename, sent)


Hook = Callable[[], Awaitable[object]]


class _Reader:
    """What a replay has read: bytes, and how many (counted) messages they complete."""

    def __init__(self, reader: asyncio.StreamReader, counted: Counted | None) -> None:
        self.reader = reader
        self.counted = counted
        self.data = b""
        self.messages: list[Message] = []
        self._parser = AmiParser()

    def count(self) -> int:
        if self.counted is None:
            return count_messages(self.data)
        return sum(1 for m in self.messages if self.counted(m))

    async def until_count(self, total: int) -> None:
        await self.until(lambda: self.count() >= total)

    async def until_answered(self, sent: bytes) -> None:
        """Until the answer to the request ``sent`` (its ActionID) has arrived."""
        found = re.search(rb"^ActionID: (.*?)\r?$", sent, re.M)
        wanted = found[1].decode() if found else None
        await self.until(lambda: any(m.get("ActionID") == wanted for m in self.messages))

    async def until(self, done: Callable[[], bool]) -> None:
        """Read until ``done()`` or the end of the stream."""
        while not done():
            chunk = await self.reader.read(65536)
            if not chunk:
                return
            self.data += chunk
            self.messages += self._parser.feed(chunk)


def _expected_counts(capture: Capture, counted: Counted | None) -> list[int]:
    """Per step, how many (counted) messages the server had sent by its end."""
    totals, parser, total = [], AmiParser(), 0
    for step in capture.steps:
        if counted is None:
            total += count_messages(step.expected)
        else:
            total += sum(1 for m in parser.feed(step.expected) if counted(m))
        totals.append(total)
    return totals


async def replay(
    capture: Capture,
    port: int,
    ssl: SSLContext | None = None,
    *,
    counted: Counted | None = None,
    after: Mapping[int, Hook] | None = None,
) -> bytes:
    """Play the client side of ``capture`` against 127.0.0.1:``port`` (over TLS with ``ssl``);
    what the server sent.

    Channel names the client sends are the server's own (see :func:`rename_channels`). After
    each step's write it reads until the server has sent as many messages in all as the
    capture shows by then (only those ``counted`` accepts, if given: a server that leaves some
    out is still read to the end). ``after[i]``, if given, runs once step ``i`` is answered (its
    ActionID seen): what the lab did meanwhile (a phone placing a call, say). When the capture
    ends with the server closing, checks that this server closes too.
    """
    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=ssl)
    received = _Reader(reader, counted)
    hooks = after or {}
    try:
        async with asyncio.timeout(10):
            for index, (step, total) in enumerate(
                zip(capture.steps, _expected_counts(capture, counted), strict=True)
            ):
                writer.write(rename_channels(step.sent, capture.server_bytes, received.data))
                if index in hooks:
                    await received.until_answered(step.sent)
                    await hooks[index]()
                await received.until_count(total)
            if capture.closed_by_server:
                await received.until(lambda: False)
                assert reader.at_eof(), f"{capture.name}: the server did not close"
    finally:
        writer.close()
        await writer.wait_closed()
    return received.data
