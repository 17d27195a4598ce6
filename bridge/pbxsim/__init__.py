"""A simulated Asterisk 22 PBX speaking AMI on a real socket, for tests, ``bridge demo`` and the
benchmarks; never imported by the service itself (only by :mod:`bridge.demo`).

This is its one public face: :class:`SimulatedPbx`, the config types it is built from, the lab
PBXs of the captures in ``tests/fixtures/ami-captures`` and the synthetic event stream of the
benchmarks. It answers as those captures show and can be scripted by tests. It speaks the wire
format of :mod:`bridge.ami.protocol`; nothing in :mod:`bridge.ami` depends on it.

Its parts: ``pbx`` (:class:`SimulatedPbx`), ``server`` (listener, sessions), ``dispatch`` (order
of checks), ``login``, ``actions`` / ``astdb`` / ``originate`` (actions), ``calls`` and
``channels`` (call events), ``state`` (AstDB, device and hint states, queues), ``events``
(security events), ``session`` (one connection, replies), ``script`` (action record, stall/fail
rules, waits), ``config`` and ``lab`` (the PBX's setup). Call flows a test plays (``scenarios``:
the ``SimulatedPbx`` methods): ``phone`` (Dial between phones and the trunk), ``queue_calls``,
``features`` (hold, MixMonitor, DND code), ``transfers``, ``queue_members``, over ``legs``
(channel steps), ``bridges`` and ``devstate`` (Asterisk's device state arithmetic); ``sync``
(DeviceStateList, ExtensionStateList); ``blast`` and ``stream`` (benchmarks).
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
