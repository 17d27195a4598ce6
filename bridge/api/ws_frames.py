"""Writing a subscriber's queued events as WebSocket text frames, many per socket write.

aiohttp's ``send_str`` writes each message to the transport on its own, which costs a system
call per event; under a burst, the queue holds many. Here every event stays its own text frame
(RFC 6455: FIN, opcode 1, unmasked from a server) but a batch of frames goes out in one write.
Streams are opened with compression off, so the frames are plain. A client that does not read
lets the transport buffer grow to ``HIGH_WATER``; then writing waits (and its queue fills).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from aiohttp import web

MAX_BATCH = 512
HIGH_WATER = 1 << 22  # bytes buffered for one client before writing waits
RECHECK = 0.005  # seconds between looks at a full buffer


def text_frame(payload: bytes) -> bytes:
    size = len(payload)
    if size < 126:
        return bytes((0x81, size)) + payload
    if size < 1 << 16:
        return bytes((0x81, 126)) + size.to_bytes(2, "big") + payload
    return bytes((0x81, 127)) + size.to_bytes(8, "big") + payload


async def write_events(
    request: web.Request, queue: asyncio.Queue[str], stopped: Callable[[], bool]
) -> None:
    transport = request.transport
    while not stopped():
        batch = [await queue.get()]
        while len(batch) < MAX_BATCH and not queue.empty():
            batch.append(queue.get_nowait())
        if transport is None or transport.is_closing():
            return
        transport.write(b"".join(text_frame(text.encode()) for text in batch))
        while transport.get_write_buffer_size() > HIGH_WATER:
            if transport.is_closing():
                return
            await asyncio.sleep(RECHECK)
