"""The README's quick start, followed literally in a fresh copy of the repository against the
simulated PBX: at most six commands, no SQL, and it ends with a live extension list.

Only what a reader types differently is replaced: the PBX's address (the simulated PBX's port),
the HTTP port (``BRIDGE_HTTP_PORT``, so the test never collides with a running bridge), and the
password curl would ask for. Prompts (AMI secret, account password) are answered on stdin.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from bridge.pbxsim import SimulatedPbx, pjsip_lab_config
from tests.support import free_port

ROOT = Path(__file__).resolve().parent.parent
MARKER = "<!-- quick-start"
PASSWORD = "quick-start-pa55"


def quick_start_lines() -> list[str]:
    """The command lines of the README's quick start block (comments stay: sh drops them)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    after = readme[readme.index(MARKER) :]
    block = re.search(r"```sh\n(.*?)```", after, re.S)
    assert block is not None, "the quick start has no ```sh block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def fresh_copy(destination: Path) -> None:
    """What a clone holds: the tracked files (and new ones not ignored), nothing built."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def test_the_quick_start_has_at_most_six_commands_and_no_sql() -> None:
    lines = quick_start_lines()
    assert len(lines) <= 6, lines
    commands = " ".join(line.split("#")[0] for line in lines).lower()
    for sql in ("insert ", "update ", "sqlite3", "psql", "db seed", ".sql"):
        assert sql not in commands, lines


@pytest.mark.skipif(shutil.which("git") is None or shutil.which("curl") is None, reason="git, curl")
async def test_the_quick_start_ends_with_a_live_extension_list(tmp_path: Path) -> None:
    clone = tmp_path / "bridge"
    fresh_copy(clone)
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("BRIDGE_") and key != "VIRTUAL_ENV"
    }
    env["BRIDGE_HTTP_PORT"] = str(port)
    async with SimulatedPbx("bridge", "quick-start-secret", config=pjsip_lab_config()) as pbx:
        server: asyncio.subprocess.Process | None = None
        answer = ""
        try:
            for line in quick_start_lines():
                command = line.replace("192.0.2.10", f"127.0.0.1:{pbx.port}")
                command = command.replace("58080", str(port))
                command = command.replace("-u ops ", f"-u ops:{PASSWORD} ")
                if command.startswith("./scripts/run"):
                    server = await asyncio.create_subprocess_shell(  # exec: its exit code is ours
                        "exec " + command, cwd=clone, env=env, start_new_session=True
                    )
                    continue
                if command.startswith("curl"):
                    command = command.replace("curl ", "curl --silent --show-error --fail ", 1)
                    answer = await until_served(command, clone, env, server)
                    continue
                stdin = "quick-start-secret\n" if "--secret -" in command else PASSWORD + "\n"
                await run(command, clone, env, stdin)
        finally:
            if server is not None and server.returncode is None:
                os.killpg(server.pid, signal.SIGTERM)
                async with asyncio.timeout(30):
                    await server.wait()
    extensions = json.loads(answer)
    assert [e["extensionNumber"] for e in extensions] == ["4224", "4225", "4226"]
    assert {e["displayName"] for e in extensions} == {"Phone 4224", "Phone 4225", "Phone 4226"}
    assert live(extensions)
    assert server is not None and server.returncode == 0


async def run(command: str, cwd: Path, env: dict[str, str], stdin: str) -> str:
    process = await asyncio.create_subprocess_shell(
        command,
        cwd=cwd,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    async with asyncio.timeout(600):  # the first line installs the package into a new .venv
        out, _ = await process.communicate(stdin.encode())
    assert process.returncode == 0, (command, out.decode())
    return out.decode()


async def until_served(
    command: str, cwd: Path, env: dict[str, str], server: asyncio.subprocess.Process | None
) -> str:
    """The curl line's output once the service answers with its live state known."""
    assert server is not None, "the quick start runs the service before asking it"
    async with asyncio.timeout(120):
        while True:
            assert server.returncode is None, "the service stopped"
            process = await asyncio.create_subprocess_shell(
                command,
                cwd=cwd,
                env=env,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            out, _ = await process.communicate()
            last = out.decode()
            if process.returncode == 0 and live(json.loads(last)):
                return last
            await asyncio.sleep(0.2)


def live(extensions: list[dict[str, object]]) -> bool:
    """Every extension's live values known (the link synced)."""
    return bool(extensions) and all(
        e["deviceState"] != "UNKNOWN" and e["dnd"] is not None for e in extensions
    )
