"""Running the ``bridge`` command line as a process, as an admin would."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


async def bridge(
    *args: str, url: str, stdin: str = "", cwd: Path | str = ROOT, **env: str
) -> tuple[int, str, str]:
    """``bridge ARGS`` on the database at ``url``: exit code, stdout, stderr."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bridge",
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "BRIDGE_DATABASE_URL": url, **env},
        cwd=cwd,
    )
    async with asyncio.timeout(60):
        out, err = await process.communicate(stdin.encode())
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()
