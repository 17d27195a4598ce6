"""Call scenarios a test plays on the simulated PBX: the public methods of ``SimulatedPbx``.

:class:`Scenarios` wires the flow modules (``phone``, ``queue_calls``, ``features``,
``transfers``, ``queue_members``, ``sync``) over one :class:`PbxState`;
:class:`ScenarioApi` is the part of ``SimulatedPbx``'s API that plays them. Every method sends
its events at once, in the order the flow's module documents, and leaves ``channels``,
``bridges``, device states and queue members as CoreShowChannels, DeviceStateList and
QueueStatus then report them.
"""

from __future__ import annotations

from collections.abc import Iterable

from bridge.ami.protocol import Header
from bridge.pbxsim.blast import blast
from bridge.pbxsim.bridges import Bridge, BridgeOps
from bridge.pbxsim.channels import Channel
from bridge.pbxsim.config import QueueMember
from bridge.pbxsim.dialplan import DialplanRunner
from bridge.pbxsim.features import CallFeatures, Target
from bridge.pbxsim.hangups import ACTION, Hangups
from bridge.pbxsim.legs import ChannelOps
from bridge.pbxsim.phone import PhoneCalls
from bridge.pbxsim.queue_calls import QueueCalls
from bridge.pbxsim.queue_members import QueueMembers
from bridge.pbxsim.server import AmiServer
from bridge.pbxsim.session import ActionHandler, AmiSession, Reply
from bridge.pbxsim.simcall import SimCall
from bridge.pbxsim.state import PbxState
from bridge.pbxsim.sync import SyncActions
from bridge.pbxsim.transfers import Transfers


class Scenarios:
    """The flow players of one PBX, and the AMI actions they add."""

    def __init__(self, state: PbxState) -> None:
        self.legs = ChannelOps(state)
        self.bridges = BridgeOps(state)
        self.hangups = Hangups(self.legs, self.bridges)
        self.runner = DialplanRunner(self.legs, self.hangups)
        self.phones = PhoneCalls(self.runner, self.bridges)
        self.queue_calls = QueueCalls(self.phones)
        self.features = CallFeatures(self.phones)
        self.transfers = Transfers(self.phones, self.features)
        self.members = QueueMembers(state)
        self.members.changed = self.queue_calls.members_changed
        self.sync = SyncActions(state)

    def handlers(self) -> dict[str, ActionHandler]:
        """QueueAdd/Remove/Pause, DeviceStateList, ExtensionStateList, BlindTransfer, Redirect
        and Hangup."""
        return {
            **self.members.handlers(), **self.sync.handlers(), **self.transfers.handlers(),
            "hangup": self.hangup_action,
        }  # fmt: skip

    def hangup_action(self, reply: Reply) -> None:
        """``Hangup``: any live channel, as the captures show it ending (``hangups``)."""
        name = (reply.request.get("Channel") or "").strip()
        channel = self.legs.state.channels.get(name)
        if not name:
            reply.error("No channel specified")
        elif channel is None:
            reply.error("No such channel")
        else:
            reply.success("Channel Hungup")
            self.hangups.end(channel, ACTION)


class ScenarioApi:
    """Call flows on the simulated PBX (mixed into ``SimulatedPbx``)."""

    _scenarios: Scenarios
    _server: AmiServer

    @property
    def phone_calls(self) -> list[SimCall]:
        """Live calls played by the methods below (not Originate's), oldest first."""
        return list(self._scenarios.phones.calls)

    @property
    def bridges(self) -> list[Bridge]:
        """Live bridges."""
        return list(self._scenarios.bridges.bridges.values())

    def place_call(
        self, from_device: str, to_number: str, *, to_device: str | None = None,
        answer: bool = True, context: str = "from-internal",
    ) -> SimCall:  # fmt: skip
        """A phone (``PJSIP/4224`` or ``4224``) dials ``to_number``: another phone's endpoint
        (or ``to_device``), else a ``PJSIP/trunk-...`` channel out; rings, and answers if told."""
        return self._scenarios.phones.place_call(
            from_device, to_number, to_device=to_device, answer=answer, context=context
        )

    def inbound_call(
        self, caller_number: str, did: str, to_device: str, *, caller_name: str = "",
        trunk: str = "PJSIP/trunk", answer: bool = True,
    ) -> SimCall:  # fmt: skip
        """A call from the trunk (context ``from-trunk``, Exten ``did``) to a phone."""
        return self._scenarios.phones.inbound_call(
            caller_number, did, to_device, caller_name=caller_name, trunk=trunk, answer=answer
        )

    def queue_call(
        self, caller_number: str, queue: str, answered_by_interface: str, *,
        did: str | None = None, caller_name: str = "", answer: bool = True,
    ) -> SimCall:  # fmt: skip
        """A call into ``queue`` answered by the member ``answered_by_interface`` (unless
        ``answer`` is False: the caller then waits while that member rings)."""
        return self._scenarios.queue_calls.queue_call(
            caller_number, queue, answered_by_interface, did=did, caller_name=caller_name,
            answer=answer,
        )  # fmt: skip

    def answer(self, call: SimCall) -> None:
        """The ringing side of ``call`` answers."""
        if call.queue:
            self._scenarios.queue_calls.answer(call)
        else:
            self._scenarios.phones.answer(call)

    def hangup_call(self, call: SimCall, by: Channel | None = None) -> None:
        """``by`` (default: the caller) hangs up ``call`` (a BYE, or a CANCEL while it rings);
        the rest follows as Asterisk's does."""
        self._scenarios.phones.hangup_call(call, by)

    def end_wait(self, target: Target) -> None:
        """The ``Wait`` the channel of ``target`` (a call: its caller) is in ends: its dialplan
        goes on (the labs' outside numbers and feature codes then hang up), or the Wait an
        originate gave it as its application returns and the channel ends."""
        scenarios = self._scenarios
        channel = (
            target.caller if isinstance(target, SimCall) else scenarios.features.channel(target)
        )
        scenarios.runner.wait_over(channel)

    def hold(self, target: Target) -> Channel:
        """The phone of ``target`` (a call: its answering phone; or a channel) puts its peer
        on hold; returns the held channel."""
        return self._scenarios.features.hold(target)

    def unhold(self, target: Target) -> Channel:
        """The phone of ``target`` takes its peer off hold; returns that peer."""
        return self._scenarios.features.unhold(target)

    def start_recording(self, target: Target, filename: str = "") -> Channel:
        """MixMonitor starts on the channel of ``target``; returns that channel."""
        return self._scenarios.features.start_recording(target, filename)

    def stop_recording(self, target: Target) -> Channel:
        """MixMonitor stops on the channel of ``target``; returns that channel."""
        return self._scenarios.features.stop_recording(target)

    def blind_transfer(
        self, call: SimCall, to_number: str, *, by: Channel | None = None,
        to_device: str | None = None, answer: bool = True,
    ) -> SimCall:  # fmt: skip
        """The phone of ``call`` (or ``by``) blind-transfers its peer; the peer's new call."""
        return self._scenarios.transfers.blind(
            call, to_number, by=by, to_device=to_device, answer=answer
        )

    def attended_transfer(
        self, call: SimCall, consult: SimCall, *, by: Channel | None = None
    ) -> SimCall:
        """The phone in ``call`` that placed ``consult`` joins the two far ends; their call."""
        return self._scenarios.transfers.attended(call, consult, by=by)

    def dnd_feature_code(
        self, number: str, on: bool, *, family: str = "DND", value: str = "YES",
        via_phone: bool = True,
    ) -> None:  # fmt: skip
        """The phone of ``number`` dials FreePBX's DND code: AstDB ``/<family>/<number>``
        written or deleted, ``Custom:DND<number>`` BUSY or NOT_INUSE (see ``features``)."""
        self._scenarios.features.dnd_feature_code(
            number, on, family=family, value=value, via_phone=via_phone
        )

    def add_queue_member(
        self, queue: str, interface: str, *, name: str = "", state_interface: str = "",
        penalty: int = 0, paused: bool = False,
    ) -> QueueMember:  # fmt: skip
        """Add a dynamic member (``QueueMemberAdded``)."""
        return self._scenarios.members.add(
            queue, interface, name=name, state_interface=state_interface, penalty=penalty,
            paused=paused,
        )  # fmt: skip

    def remove_queue_member(self, queue: str, interface: str) -> QueueMember:
        """Remove a dynamic member (``QueueMemberRemoved``)."""
        return self._scenarios.members.remove(queue, interface)

    def pause_queue_member(
        self, queue: str | None, interface: str, paused: bool, reason: str = ""
    ) -> list[QueueMember]:
        """(Un)pause a member (in every queue when ``queue`` is None): ``QueueMemberPause``."""
        return self._scenarios.members.pause(queue, interface, paused, reason)

    async def blast(
        self, events: Iterable[bytes | list[Header]], *, session: AmiSession | None = None
    ) -> int:
        """Write ``events`` to ``session`` (default: every logged-in session with events on)
        as fast as the sockets take them, draining between chunks; returns how many events.
        Sent as given: no ``Events``/read-permission filtering per event."""
        targets = [session] if session is not None else [
            s for s in self._server.sessions.values() if s.authenticated and s.events
        ]  # fmt: skip
        return await blast(targets, events)
