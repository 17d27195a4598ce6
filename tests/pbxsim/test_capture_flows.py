"""The simulated PBX against the captures of calls, channel by channel.

Replaying a capture's client side starts the same calls (its Originate), so the simulator's
answer can be held to Asterisk's. Byte for byte it cannot be: the lab's own runs of one Originate
interleave the two halves of a Local channel, the device states and OriginateResponse
differently (``call_event_stream`` and ``hangup_action`` start the same call), so each channel's,
device's and action's own sequence is compared instead (``tests/pbxsim/sequences.py``).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import pytest

from bridge.ami.protocol import Message
from bridge.pbxsim import SimulatedPbx
from tests.captures import load, replay
from tests.pbxsim.sequences import IGNORED, Flows, describe, flows


def compared(message: Message) -> bool:
    """What the comparison keeps (replay counts only these)."""
    return message.get("Event") not in IGNORED


def assert_same_flows(got: Flows, expected: Flows) -> None:
    """Entity by entity, with the two sides in the message when they differ. A channel still up
    when the capture ends (the client logged off) has only told the start of its story: the
    simulator's must begin with it."""
    assert sorted(got) == sorted(expected), describe(got)
    for entity in expected:
        ended = any(item[0] == "Hangup" for item in expected[entity])
        told = got[entity] if ended or "/" not in entity else got[entity][: len(expected[entity])]
        assert told == expected[entity], (
            f"{entity}:\n{describe({entity: got[entity]})}\n-- captured --\n"
            f"{describe({entity: expected[entity]})}"
        )


Setup = Callable[[SimulatedPbx], object]


@dataclass(frozen=True, slots=True)
class Lab:
    """How the lab was when a capture was made (``setup``), and what happened there while the
    client went on (``after``: step -> what the PBX does once that step is answered)."""

    setup: Setup = lambda pbx: None
    after: Mapping[int, Setup] = field(default_factory=dict)

    def hooks(self, pbx: SimulatedPbx) -> dict[int, Callable[[], Awaitable[object]]]:
        async def run(step: Setup) -> None:
            step(pbx)

        return {index: functools.partial(run, step) for index, step in self.after.items()}


def _at(calls_taken: int, devices: Mapping[str, str] | None = None) -> Setup:
    """The lab then: the static member's calls so far, the device states earlier tests had
    left in the cache (the capture's DeviceStateList shows them); an originated call's wait
    ends only when the test says (the lab's Wait(30) outlives the captures)."""

    def setup(pbx: SimulatedPbx) -> None:
        pbx.originate.duration = None
        support = pbx.config.queues["support"]
        support.members[0].calls_taken = support.completed = calls_taken
        for device, state in (devices or {}).items():
            pbx.remember_device_state(device, state)

    return setup


def _wait_ends(pbx: SimulatedPbx) -> None:
    """The originated channel's Wait(8) is over (the client waited for it)."""
    pbx.end_wait(pbx.calls[0].channels[0])


LEFTOVERS = {
    "Custom:DND4224": "NOT_INUSE", "Custom:DND4225": "BUSY", "Queue:support": "NOT_INUSE",
    "Queue:support_pause_Local/4224@internal": "NOT_INUSE",
    "Queue:support_pause_Local/4225@internal": "NOT_INUSE",
    "Queue:support_pause_Local/4225@internal/n": "NOT_INUSE",
}  # fmt: skip
LABS: Mapping[str, Lab] = MappingProxyType(
    {
        "originate_success": Lab(_at(1)),
        "originate_sync_success": Lab(_at(2)),
        "core_show_channels": Lab(_at(2)),
        "hangup_action": Lab(_at(2)),
        "blind_transfer_not_bridged": Lab(_at(2)),
        "blind_transfer": Lab(_at(2)),
        "redirect": Lab(_at(2)),
        "device_state_lists_during_call": Lab(_at(2, LEFTOVERS)),
        "queue_call_events": Lab(_at(1), after={3: _wait_ends}),
        "core_show_channels_queue_call": Lab(_at(3)),
        "queue_callers_waiting": Lab(_at(2)),
    }
)


@pytest.mark.parametrize("name", sorted(LABS))
async def test_replayed_call_matches_per_channel(pbx: SimulatedPbx, name: str) -> None:
    lab = LABS[name]
    lab.setup(pbx)
    capture = load(name)
    received = await replay(capture, pbx.port, counted=compared, after=lab.hooks(pbx))
    assert_same_flows(flows(received), flows(capture.server_bytes))
