"""Helpers for tests of simulated call flows: a watching client, shapes, consistency checks."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable

from bridge.ami.protocol import AmiParser, Message
from bridge.pbxsim import SimulatedPbx, phone_lab_config
from tests.captures import load
from tests.pbxsim.client import AmiTestClient

PEOPLE = {"4224": "Michael Y", "4225": "Anna B", "4226": "Sam K"}
PJSIP_NAME = re.compile(r"PJSIP/[0-9a-z]+-[0-9a-f]{8}")
# Events that carry a channel snapshot block and nothing else of interest for a shape check.
NOISE = frozenset({"VarSet", "Newexten", "ExtensionStatus", "QueueMemberStatus"})


def phones_pbx() -> SimulatedPbx:
    """A simulated PBX with three PJSIP phones and queue ``sales`` (members 4224, 4225)."""
    config = phone_lab_config(PEOPLE, queues={"sales": ["PJSIP/4224", "PJSIP/4225"]})
    return SimulatedPbx(login_failure_delay=0.01, config=config)


class Watcher:
    """A logged-in client that reads everything the PBX sends, up to a fence."""

    def __init__(self, client: AmiTestClient) -> None:
        self.client = client
        self._fences = 0

    @classmethod
    async def connect(cls, pbx: SimulatedPbx) -> Watcher:
        client = await AmiTestClient.connect(pbx.port)
        await client.login()
        await client.until("Event", "SuccessfulAuth")
        return cls(client)

    async def fence(self) -> list[Message]:
        """Every message received up to now (a Ping's answer marks the end)."""
        self._fences += 1
        fence = f"fence-{self._fences}"
        self.client.send({"Action": "Ping", "ActionID": fence})
        messages = []
        while (message := await self.client.message()).get("ActionID") != fence or (
            "Event" in message
        ):
            messages.append(message)
        return messages

    async def action(self, action: str, **headers: str) -> list[Message]:
        """Send an action, return what came back (events in between included)."""
        self.client.send({"Action": action, "ActionID": f"a-{action}", **headers})
        return await self.fence()

    async def close(self) -> None:
        await self.client.close()


def names(messages: Iterable[Message], *, skip: frozenset[str] = NOISE) -> list[str]:
    """Event names in order, without the noisy ones (nor queue availability states)."""
    return [
        m["Event"]
        for m in messages
        if "Event" in m
        and m["Event"] not in skip
        and not (m["Event"] == "DeviceStateChange" and m["Device"].startswith("Queue:"))
    ]


def listed(messages: Iterable[Message], event: str) -> list[Message]:
    """The list items of one name (answers carry the ActionID)."""
    return [m for m in messages if m.get("Event") == event and "ActionID" in m]


def assert_channels_consistent(messages: Iterable[Message]) -> set[str]:
    """Every channel hung up was created once and hung up once; returns those still live."""
    created: Counter[str] = Counter()
    ended: Counter[str] = Counter()
    for message in messages:
        if message.get("Event") == "Newchannel":
            created[message["Channel"]] += 1
        elif message.get("Event") == "Hangup":
            ended[message["Channel"]] += 1
    assert all(n == 1 for n in created.values()), created
    assert all(n == 1 for n in ended.values()), ended
    assert set(ended) <= set(created), set(ended) - set(created)
    return set(created) - set(ended)


def captured_shapes(*names: str) -> dict[str, set[tuple[str, ...]]]:
    """Event name -> the header-name tuples it has in these captures."""
    shapes: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    for name in names:
        for message in AmiParser().feed(load(name).server_bytes):
            if "Event" in message:
                shapes[message["Event"]].add(tuple(message.keys()))
    return shapes


def assert_shapes_as_captured(messages: Iterable[Message], *, skip: Iterable[str] = ()) -> int:
    """Each event whose name the captures show has one of its captured header layouts;
    returns how many events were compared."""
    shapes = captured_shapes("call_event_stream", "queue_call_events", "extension_state")
    compared = 0
    for message in messages:
        name = message.get("Event")
        if name in shapes and name not in skip and "ActionID" not in message:
            assert tuple(message.keys()) in shapes[name], (name, message.keys())
            compared += 1
    return compared
