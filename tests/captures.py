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
from dataclasses import dataclass
from pathlib import Path
from ssl import SSLContext

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
    """The stream as text with time stamps, ports, session ids, Uniqueids and channel numbers
    replaced (the last ones by order of first appearance)."""
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


async def replay(capture: Capture, port: int, ssl: SSLContext | None = None) -> bytes:
    """Play the client side of ``capture`` against 127.0.0.1:``port`` (over TLS with ``ssl``);
    what the server sent.

    When the capture ends with the server closing, checks that this server closes too.
    """
    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=ssl)
    received = b""
    try:
        async with asyncio.timeout(10):
            for step in capture.steps:
                writer.write(step.sent)
                received += await read_messages(reader, count_messages(step.expected))
            if capture.closed_by_server:
                received += await reader.read()
                assert reader.at_eof(), f"{capture.name}: the server did not close"
    finally:
        writer.close()
        await writer.wait_closed()
    return received
