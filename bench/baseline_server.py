"""The baseline of the read benchmark: a bare aiohttp handler returning fixed bytes.

``python bench/baseline_server.py PORT FILE [--reuse-port]``: answers every GET with FILE's bytes
as JSON; with ``--reuse-port`` it listens with SO_REUSEPORT, so that several such processes share
the port as the bridge's workers do.
"""

from __future__ import annotations

import sys
from pathlib import Path

from aiohttp import web


def main() -> None:
    port, body = int(sys.argv[1]), Path(sys.argv[2]).read_bytes()
    reuse_port = "--reuse-port" in sys.argv[3:]

    async def handler(_request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/json", charset="utf-8")

    app = web.Application()
    app.router.add_get("/{tail:.*}", handler)
    web.run_app(
        app, host="127.0.0.1", port=port, print=None, access_log=None, reuse_port=reuse_port
    )


if __name__ == "__main__":
    main()
