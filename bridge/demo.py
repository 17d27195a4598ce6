"""``bridge demo``: the bridge over a SIMULATED PBX, seeded with the iSymphony page's own ids.

A throw-away SQLite database and a simulated Asterisk on loopback, so that every curl line of the
iSymphony "Extensions" page works as written (account ``manager`` / ``manag3rpa55word``). Nothing
here talks to a real phone system; the start-up banner and the core server's name say so.
"""

from __future__ import annotations

import logging
import sys
import tempfile
from pathlib import Path

import sqlalchemy as sa

from bridge import migrate, models
from bridge.auth import hash_password
from bridge.db import create_engine
from bridge.pbxsim import Dialplan, Extension, PbxConfig, Queue, QueueMember, SimulatedPbx
from bridge.serve import serve
from bridge.settings import Settings

CORE_SERVER = "ca5de6c4-17bd-46ce-95a2-8b29c7812ca4"
EXTENSION = "ef2faba9-8557-49c1-9ffc-5a71f41c7a23"
USER = "ce1b2b59-15ad-46d2-a96a-2b4099630438"
QUEUE = "05bf3ecf-ce6b-4c8f-9aa6-f8d111b2699b"
AGENT = "d5e41ab4-445a-4613-99b5-7f5343045220"
PERMISSION = "813936dd-98a4-4ccc-8bcf-dd1f27673c1f"  # the page's example permission id
LICENSE = "6c0b6a43-0f9e-4a57-9a8e-2d2c6f0c1a01"
ACCOUNT, PASSWORD = "manager", "manag3rpa55word"
AMI_SECRET = "demo-only-secret"  # noqa: S105 - a loopback simulator's secret
# (number, username, display name) of the demo's people; the first is the page's own.
PEOPLE = (("4224", "michaely", "Michael Y"), ("4225", "annab", "Anna B"), ("4226", "samk", "Sam K"))

BANNER = """
  ****************************************************************************
  *  bridge demo: SIMULATED PBX. No real Asterisk, no real phone calls.      *
  *  Database: a throw-away SQLite file, deleted on exit.                    *
  *  Try:  curl --user manager:manag3rpa55word -H "Accept: application/json" \\
  *        http://localhost:{port}/communication_manager/rest/live/coreServers/{cs}/extensions
  *  Panel: http://localhost:{port}/ in a browser (manager / manag3rpa55word)
  ****************************************************************************
"""


def demo_pbx_config() -> PbxConfig:
    """The simulated PBX behind the demo: the people's phones, and queue ``support``.

    As on FreePBX, a person's number dials their phone (``Dial(PJSIP/<n>)``), so a call or a
    blind transfer to 4226 rings ``PJSIP/4226`` (``pjsip/blind_transfer_sip``); any other number
    is answered by the PBX itself."""
    phones = {
        number: Extension([("Dial", f"PJSIP/{number},30")], f"PJSIP/{number}")
        for number, _, _ in PEOPLE
    }
    phones["_X."] = Extension([("Answer", ""), ("Wait", "10"), ("Hangup", "")])
    members = [QueueMember(f"PJSIP/{n}", name) for n, _, name in PEOPLE[:2]]
    return PbxConfig(
        dialplan=Dialplan({"from-internal": phones}),
        queues={"support": Queue("support", members)},
    )


async def seed_demo(url: str, ami_port: int) -> None:
    engine = create_engine(url)
    try:
        await migrate.upgrade(engine)
        async with engine.begin() as connection:
            for statement in _demo_rows(ami_port):
                await connection.execute(statement)
    finally:
        await engine.dispose()


def _demo_rows(ami_port: int) -> list[sa.Insert]:
    rows: list[sa.Insert] = [
        sa.insert(models.CoreServer).values(
            id=CORE_SERVER,
            slug="default",
            name="Simulated PBX (bridge demo)",
            ami_host="127.0.0.1",
            ami_port=ami_port,
            ami_username="bridge",
            ami_secret=AMI_SECRET,
            originate_context="from-internal",
            channel_template="PJSIP/{number}",
        ),
        sa.insert(models.License).values(
            id=LICENSE, core_server_id=CORE_SERVER, kind="full", seats=25, license_key="DEMO"
        ),
    ]
    for index, (number, username, name) in enumerate(PEOPLE):
        user_id = USER if index == 0 else None
        user_values = {"id": user_id} if user_id else {}
        rows.append(
            sa.insert(models.User).values(
                core_server_id=CORE_SERVER,
                username=username,
                display_name=name,
                license_id=LICENSE,
                **user_values,
            )
        )
        owner = sa.select(models.User.id).where(models.User.username == username)
        ext_values = {"id": EXTENSION, "configuration_id": PERMISSION} if index == 0 else {}
        rows.append(
            sa.insert(models.Extension).values(
                core_server_id=CORE_SERVER,
                user_id=owner.scalar_subquery(),
                extension_number=number,
                display_name=name,
                permission_id=PERMISSION,
                **ext_values,
            )
        )
    rows += [
        sa.insert(models.Queue).values(
            id=QUEUE, core_server_id=CORE_SERVER, identifier="support", display_name="Support"
        ),
        sa.insert(models.Agent).values(
            id=AGENT,
            queue_id=QUEUE,
            extension_id=EXTENSION,
            name="Michael Y",
            interface="PJSIP/4224",
        ),
        sa.insert(models.Account).values(
            username=ACCOUNT, password_hash=hash_password(PASSWORD), is_admin=True
        ),
    ]
    return rows


async def run_demo(settings: Settings, port: int) -> int:
    """``bridge serve`` (the same daemon) over the simulated PBX and a throw-away database."""
    logging.getLogger("alembic").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="bridge-demo-") as directory:
        url = f"sqlite+aiosqlite:///{Path(directory) / 'demo.db'}"
        async with SimulatedPbx("bridge", AMI_SECRET, config=demo_pbx_config()) as pbx:
            await seed_demo(url, pbx.port)
            demo = settings.replace(database={"url": url}, http={"port": port})
            print(BANNER.format(port=port, cs=CORE_SERVER), file=sys.stderr)
            return await serve(demo)
