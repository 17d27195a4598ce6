"""A simulated Asterisk 22 PBX speaking AMI on a real socket, for tests, ``bridge demo`` and the
benchmarks; never imported by the service itself (only by :mod:`bridge.demo`).

This is its one public face: :class:`SimulatedPbx`, the config types it is built from, the lab
PBXs of the captures in ``tests/fixtures/ami-captures`` and the synthetic event stream of the
benchmarks. It answers as those captures show and can be scripted by tests. It speaks the wire
format of :mod:`bridge.ami.protocol`; nothing in :mod:`bridge.ami` depends on it.

Its parts: ``pbx`` (:class:`SimulatedPbx`), ``server`` (listener, sessions), ``dispatch`` (order
of checks), ``login``, ``actions`` / ``astdb`` / ``originate`` (actions), ``calls`` (originated
calls) and ``channels`` (channel snapshots), ``state`` (AstDB, the device state cache, hints,
queues), ``events`` (security events), ``session`` (one connection, replies), ``script``
(action record, stall/fail rules, waits), ``config`` and ``lab`` (the PBX's setup: the two labs
of the captures). Calls run the dialplan (``dialplan``) and end as Asterisk ends them
(``hangups``); Dial is ``phone`` (phones, the trunk, Local channels), Queue ``queue_calls`` and
``queue_exits`` over ``members`` (what a member reports, ringall order); ``features`` (hold,
MixMonitor, DND codes), ``transfers`` (and BlindTransfer, Redirect), ``queue_members``; all over
``legs`` (channel steps), ``bridges`` and ``devstate`` (Asterisk's device state arithmetic).
``scenarios`` holds the ``SimulatedPbx`` methods a test plays calls with (``simcall``: a call);
``sync`` (DeviceStateList, ExtensionStateList); ``pjsip`` and ``pjsip_objects``
(PJSIPShowEndpoints, PJSIPShowEndpoint); ``blast`` and ``stream`` (benchmarks).
"""

from bridge.pbxsim.config import AmiUser, Dialplan, Extension, PbxConfig, Queue, QueueMember
from bridge.pbxsim.lab import lab_config, phone_lab_config, pjsip_lab_config
from bridge.pbxsim.pbx import SimulatedPbx
from bridge.pbxsim.stream import realistic_event_stream

__all__ = [
    "AmiUser",
    "Dialplan",
    "Extension",
    "PbxConfig",
    "Queue",
    "QueueMember",
    "SimulatedPbx",
    "lab_config",
    "phone_lab_config",
    "pjsip_lab_config",
    "realistic_event_stream",
]
