"""The baseline of the fan-out benchmark: a bare aiohttp WebSocket broadcast.

``python bench/fanout_baseline.py PORT FRAMES``: FRAMES is a JSON list of text frames. Every
WebSocket connection to ``/ws`` gets ``{"type":"ready"}``; ``GET /go`` then sends each frame, in
order, to every connection (``send_str`` in a loop, the plain idiom), and answers once done.
``GET /go?batch=N`` instead frames each text once and writes N frames at a time to each
connection's socket in one write, as the bridge writes a client's queued events: a ceiling for
a Python server, past what aiohttp's WebSocket API does by itself.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from aiohttp import web


def framed(text: str) -> bytes:
    """A server's unmasked, final text frame."""
    payload = text.encode()
    size = len(payload)
    if size < 126:
        return bytes([0x81, size]) + payload
    if size < 1 << 16:
        return bytes([0x81, 126]) + size.to_bytes(2, "big") + payload
    return bytes([0x81, 127]) + size.to_bytes(8, "big") + payload


def main() -> None:
    port, frames = int(sys.argv[1]), json.loads(Path(sys.argv[2]).read_text())
    clients: dict[web.WebSocketResponse, asyncio.Transport] = {}

    async def subscribe(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str('{"type":"ready"}')
        assert request.transport is not None
        clients[ws] = request.transport
        try:
            async for _message in ws:
                pass
        finally:
            clients.pop(ws, None)
        return ws

    async def go(request: web.Request) -> web.Response:
        batch = int(request.query.get("batch", "0"))
        if not batch:
            for frame in frames:
                for ws in list(clients):
                    await ws.send_str(frame)
            return web.Response(text=str(len(clients)))
        wire = [framed(frame) for frame in frames]
        for start in range(0, len(wire), batch):
            data = b"".join(wire[start : start + batch])
            for transport in list(clients.values()):
                transport.write(data)
            await asyncio.sleep(0)  # let the sockets drain, as between the bridge's batches
        return web.Response(text=str(len(clients)))

    async def count(_request: web.Request) -> web.Response:
        return web.Response(text=str(len(clients)))

    app = web.Application()
    app.router.add_get("/ws", subscribe)
    app.router.add_get("/go", go)
    app.router.add_get("/clients", count)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":
    main()
