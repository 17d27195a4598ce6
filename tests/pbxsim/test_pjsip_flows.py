"""The simulated chan_pjsip lab against the SIP call flows of ``pjsip/``, channel by channel.

In those captures the AMI client only logged in, read and acted; the calls came from sipp phones
and a sipp trunk. Here the client side is replayed and, where the lab's phones acted, the
simulator's scenario methods play them at the same point of the conversation (``Play``). The
phones' timing (ringing 1.5 to 3.5 s, BYE after 4 s) and Asterisk's threads interleave channels,
device states and hints differently from run to run, so each channel, device, hint, member and
action is compared on its own (``tests/pbxsim/sequences.py``).
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import pytest

from bridge.pbxsim import SimulatedPbx, pjsip_lab_config
from tests.captures import load, replay
from tests.pbxsim.sequences import flows
from tests.pbxsim.test_capture_flows import assert_same_flows, compared

Act = Callable[[SimulatedPbx], object]


@dataclass(frozen=True, slots=True)
class Play:
    """What the lab's phones did, per step of the client (once that step was answered), and
    the static queue member's calls taken by then (the lab's earlier test calls)."""

    after: Mapping[int, Act] = field(default_factory=dict)
    calls_taken: int = 2

    def hooks(self, pbx: SimulatedPbx) -> dict[int, Callable[[], Awaitable[object]]]:
        async def run(act: Act) -> None:
            act(pbx)

        return {index: functools.partial(run, act) for index, act in self.after.items()}


@pytest.fixture
async def lab() -> AsyncIterator[SimulatedPbx]:
    """The chan_pjsip lab; an originated call stays until it is hung up."""
    async with SimulatedPbx(
        login_failure_delay=0.01, config=pjsip_lab_config(), call_duration=None
    ) as pbx:
        yield pbx


def _phone_to_phone(pbx: SimulatedPbx) -> None:
    call = pbx.place_call("4224", "4225")  # 4225 answers
    pbx.hangup_call(call)  # 4224 hangs up


def _phone_to_outside(pbx: SimulatedPbx) -> None:
    call = pbx.place_call("4224", "915551230000")  # _9X.: the PBX answers itself
    pbx.end_wait(call)  # Wait(5), then its Hangup()


def _trunk_call(did: str) -> Act:
    def play(pbx: SimulatedPbx) -> None:
        # the lab's trunk scenario always sends "Outside <number>"
        if did == "18005550100":
            call = pbx.queue_call("5551234", "support", "PJSIP/4224", did=did,
                                  caller_name="Outside 5551234")  # fmt: skip
        else:
            call = pbx.inbound_call("5551234", did, "4224", caller_name="Outside 5551234")
        pbx.hangup_call(call)  # the trunk's BYE

    return play


def _call_4225(pbx: SimulatedPbx) -> None:
    pbx.place_call("4224", "4225")


def _caller_hangs_up(pbx: SimulatedPbx) -> None:
    pbx.hangup_call(pbx.phone_calls[-1])  # the BYE of 4224, the call's caller


def _dnd_on(pbx: SimulatedPbx) -> None:
    pbx.dnd_feature_code("4226", True)  # 4226 dials *76


def _dnd_off(pbx: SimulatedPbx) -> None:
    pbx.dnd_feature_code("4226", False)  # then *77


PLAYS: Mapping[str, Play] = MappingProxyType(
    {
        "sync_idle": Play(),
        "phone_to_phone": Play({1: _phone_to_phone}),
        "phone_to_outside": Play({1: _phone_to_outside}),
        "did_to_phone": Play({1: _trunk_call("18005550142")}),
        "did_to_queue": Play({2: _trunk_call("18005550100")}),  # after the QueueAdd
        "sync_during_call": Play({1: _call_4225, 5: _caller_hangs_up}, calls_taken=3),
        "dnd_feature_code": Play({1: _dnd_on, 3: _dnd_off}, calls_taken=3),
        "originate_to_phone": Play(calls_taken=3),  # the client's Originate and Hangup
        "blind_transfer_sip": Play({1: _call_4225, 3: _caller_hangs_up}, calls_taken=3),
    }
)


@pytest.mark.parametrize("name", sorted(PLAYS))
async def test_replayed_sip_flow_matches_per_channel(lab: SimulatedPbx, name: str) -> None:
    play = PLAYS[name]
    support = lab.config.queues["support"]
    support.members[0].calls_taken = support.completed = play.calls_taken
    capture = load(f"pjsip/{name}")
    received = await replay(capture, lab.port, counted=compared, after=play.hooks(lab))
    assert_same_flows(flows(received), flows(capture.server_bytes))
