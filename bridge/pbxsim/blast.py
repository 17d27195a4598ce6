"""Writing a great many events to AMI sessions as fast as their sockets take them (benchmarks).

Events are encoded lazily and written in chunks of about ``chunk`` bytes, each chunk to every
target session followed by ``drain()``, so a slow reader holds the writer back (transport
back-pressure) instead of growing the buffer without bound. Chunks end on message boundaries,
so events the PBX raises meanwhile never land inside a blasted one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

from bridge.ami.protocol import Header, encode
from bridge.pbxsim.session import AmiSession


async def blast(
    sessions: list[AmiSession], events: Iterable[bytes | list[Header]], chunk: int = 1 << 16
) -> int:
    """Write every event (pre-encoded bytes, or headers) to ``sessions``; how many events."""
    buffer = bytearray()
    count = 0
    for item in events:
        buffer += item if isinstance(item, bytes) else encode(item)
        count += 1
        if len(buffer) >= chunk:
            await _flush(sessions, bytes(buffer))
            buffer.clear()
    if buffer:
        await _flush(sessions, bytes(buffer))
    return count


async def _flush(sessions: list[AmiSession], data: bytes) -> None:
    open_sessions = [s for s in sessions if not s.closed and not s.writer.is_closing()]
    for session in open_sessions:
        session.send_raw(data)  # under the session's write timeout, if it has one
    for session in open_sessions:
        with contextlib.suppress(ConnectionError):
            await session.writer.drain()
