"""``bridge demo``: the bridge over a SIMULATED PBX, seeded with the iSymphony page's own ids.

A throw-away SQLite database and a simulated Asterisk on loopback, so that every curl line of the
iSymphony "Extensions" page works as written (account ``manager`` / ``manag3rpa55word``). Nothing
here talks to a real phone system; the start-up banner and the core server's name say so. Now
and then a simulated outside caller rings queue ``support``, waits, and is answered or gives up
(:func:`play_queue_callers`), so that the queue's live values move.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import tempfile
from dataclasses import dataclass
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

# Outside callers of the demo's queue traffic: (number, caller id name); "" is an unknown name.
CALLERS = (("+15550100123", "Pat Caller"), ("+15550100456", ""), ("+15550100789", "Lee Ortiz"))
DID = "18005550100"  # the number they dial

log = logging.getLogger(__name__)

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


@dataclass(frozen=True)
class QueueTraffic:
    """The pace of the demo's queue callers, in seconds: a caller joins ``every`` so often,
    waits ``wait`` (while the agents ring), then is answered and talks ``talk``, except every
    third, who gives up (abandons)."""

    every: float = 20.0
    wait: float = 12.0
    talk: float = 15.0


async def play_queue_callers(pbx: SimulatedPbx, traffic: QueueTraffic = QueueTraffic()) -> None:
    """Simulated outside callers to queue ``support``, now and then, until cancelled: so that
    ``QUEUE/calls``, the queue's ``callsWaiting`` and the agents move in the demo."""
    callers: set[asyncio.Task[None]] = set()
    try:
        for turn in range(sys.maxsize):
            await asyncio.sleep(traffic.every)
            task = asyncio.create_task(_one_caller(pbx, traffic, turn))
            callers.add(task)
            task.add_done_callback(callers.discard)
    finally:
        for task in callers:
            task.cancel()


async def _one_caller(pbx: SimulatedPbx, traffic: QueueTraffic, turn: int) -> None:
    number, name = CALLERS[turn % len(CALLERS)]
    try:
        call = pbx.queue_call(
            number, "support", f"PJSIP/{PEOPLE[0][0]}", did=DID, caller_name=name, answer=False
        )
        await asyncio.sleep(traffic.wait)
        if turn % 3 != 2:
            pbx.answer(call)  # nothing happens when the agents are busy: the caller waits on
            await asyncio.sleep(traffic.talk)
        pbx.hangup_call(call)
    except (LookupError, ValueError) as error:  # a member or channel an admin took away
        log.debug("demo caller %d: %s", turn, error)


async def run_demo(settings: Settings, port: int) -> int:
    """``bridge serve`` (the same daemon) over the simulated PBX and a throw-away database,
    with simulated callers waiting in the queue now and then."""
    logging.getLogger("alembic").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="bridge-demo-") as directory:
        url = f"sqlite+aiosqlite:///{Path(directory) / 'demo.db'}"
        async with SimulatedPbx("bridge", AMI_SECRET, config=demo_pbx_config()) as pbx:
            await seed_demo(url, pbx.port)
            demo = settings.replace(database={"url": url}, http={"port": port})
            print(BANNER.format(port=port, cs=CORE_SERVER), file=sys.stderr)
            traffic = asyncio.create_task(play_queue_callers(pbx))
            try:
                return await serve(demo)
            finally:
                traffic.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await traffic
