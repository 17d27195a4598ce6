"""Dynamic queue members of the simulated PBX: add, remove, pause, and their AMI actions.

From ``apps/app_queue.c`` of Asterisk 22: ``QueueMemberAdded``/``QueueMemberRemoved``/
``QueueMemberPause`` carry the fields of ``QueueMemberStatus`` (``queue_member_blob_create``).
Adding a member publishes ``Queue:<q>_pause_<interface>`` (``INUSE`` paused, ``NOT_INUSE``
not) and, when the new member can take calls, ``Queue:<q>_avail`` ``NOT_INUSE``; removing the
last available one publishes ``Queue:<q>_avail`` ``INUSE``; pausing publishes both, before its
``QueueMemberPause`` (as ``queue_pause_reason`` shows). These devices are cachable, so a state
the cache already holds raises no event: a ``QueueAdd`` of an available member into a queue that
has one, or of an interface the lab had added before, shows ``QueueMemberAdded`` alone
(``queue_add_remove``). Answers of ``QueueAdd``, ``QueueRemove`` and ``QueuePause`` are the
source's texts.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bridge.pbxsim.config import Queue, QueueMember
from bridge.pbxsim.members import member_available, member_status_event
from bridge.pbxsim.session import ActionHandler, Reply
from bridge.pbxsim.state import DEVICE_STATES, PbxState

_TRUE = frozenset({"yes", "true", "y", "t", "1", "on"})


class QueueMembers:
    """Membership changes of the queues in :class:`PbxState`, with their events."""

    def __init__(self, state: PbxState) -> None:
        self._state = state
        self.changed: Callable[[str], None] = lambda queue: None  # a member may take calls now

    def _pause_device(self, queue: Queue, member: QueueMember) -> None:
        device = f"Queue:{queue.name}_pause_{member.interface}"
        self._state.set_device_state(device, "INUSE" if member.paused else "NOT_INUSE")

    def add(
        self, queue_name: str, interface: str, *, name: str = "", state_interface: str = "",
        penalty: int = 0, paused: bool = False, reason: str = "",
    ) -> QueueMember:  # fmt: skip
        """Add a dynamic member (``QueueMemberAdded``); ValueError if it is there already."""
        queue = self._state.config.queue(queue_name)
        if queue.member(interface) is not None:
            raise ValueError(f"{interface} is already a member of {queue_name}")
        member = QueueMember(
            interface, name, state_interface, "dynamic", penalty, paused=paused,
            paused_reason=reason if paused else "", login_time=int(time.time()),
        )  # fmt: skip
        member.status = DEVICE_STATES.index(self._state.device_state(member.device))
        queue.members.append(member)
        self._state.emit(member_status_event(queue, member, "QueueMemberAdded"))
        self._pause_device(queue, member)
        if member_available(member):
            self._state.publish_avail(queue)
            self.changed(queue.name)
        return member

    def remove(self, queue_name: str, interface: str) -> QueueMember:
        """Remove a dynamic member (``QueueMemberRemoved``).

        LookupError when it is not a member, ValueError when it is a static one.
        """
        queue = self._state.config.queue(queue_name)
        member = queue.member(interface)
        if member is None:
            raise LookupError(f"{interface} is not a member of {queue_name}")
        if member.membership != "dynamic":
            raise ValueError(f"{interface} is a static member of {queue_name}")
        self._state.emit(member_status_event(queue, member, "QueueMemberRemoved"))
        queue.members.remove(member)
        if not any(member_available(m) for m in queue.members):
            self._state.publish_avail(queue)
        return member

    def pause(
        self, queue_name: str | None, interface: str, paused: bool, reason: str = ""
    ) -> list[QueueMember]:
        """(Un)pause a member in one queue, or in every queue (``queue_name`` None).

        LookupError when no such member exists.
        """
        queues = (
            [self._state.config.queue(queue_name)]
            if queue_name
            else self._state.config.queues.values()
        )
        changed = []
        for queue in queues:
            member = queue.member(interface)
            if member is None:
                continue
            member.paused = paused
            if paused:
                member.last_pause = int(time.time())
            member.paused_reason = reason if paused else ""
            self._pause_device(queue, member)
            if member_available(member) or not any(member_available(m) for m in queue.members):
                self._state.publish_avail(queue)
            self._state.emit(member_status_event(queue, member, "QueueMemberPause"))
            changed.append(member)
            if not paused:
                self.changed(queue.name)
        if not changed:
            raise LookupError(f"{interface} is no queue member")
        return changed

    # -- AMI actions -------------------------------------------------------------------------
    def handlers(self) -> dict[str, ActionHandler]:
        """Lower-case action name -> handler."""
        return {"queueadd": self.queue_add, "queueremove": self.queue_remove,
                "queuepause": self.queue_pause}  # fmt: skip

    def queue_add(self, reply: Reply) -> None:
        queue, interface = _get(reply, "Queue"), _get(reply, "Interface")
        if not queue:
            reply.error("'Queue' not specified.")
            return
        if not interface:
            reply.error("'Interface' not specified.")
            return
        known = self._state.config.queues.get(queue)
        if known is None:
            reply.error("Unable to add interface to queue: No such queue")
            return
        if known.member(interface) is not None:
            reply.error("Unable to add interface: Already there")
            return
        reply.success("Added interface to queue")  # the events follow the answer (stasis)
        penalty = _get(reply, "Penalty")
        self.add(
            queue, interface, name=_get(reply, "MemberName"),
            state_interface=_get(reply, "StateInterface"),
            penalty=int(penalty) if penalty.isdigit() else 0,
            paused=_get(reply, "Paused").lower() in _TRUE, reason=_get(reply, "Reason"),
        )  # fmt: skip

    def queue_remove(self, reply: Reply) -> None:
        queue, interface = _get(reply, "Queue"), _get(reply, "Interface")
        if not queue or not interface:
            reply.error("Need 'Queue' and 'Interface' parameters.")
            return
        if queue not in self._state.config.queues:
            reply.error("Unable to remove interface from queue: No such queue")
            return
        member = self._state.config.queues[queue].member(interface)
        if member is None:
            reply.error("Unable to remove interface: Not there")
        elif member.membership != "dynamic":
            reply.error("Member not dynamic")
        else:
            reply.success("Removed interface from queue")
            self.remove(queue, interface)

    def queue_pause(self, reply: Reply) -> None:
        interface, paused_text = _get(reply, "Interface"), _get(reply, "Paused")
        if not interface or not paused_text:
            reply.error("Need 'Interface' and 'Paused' parameters.")
            return
        paused, queue = paused_text.lower() in _TRUE, _get(reply, "Queue")
        queues = (
            [self._state.config.queues.get(queue)] if queue else self._state.config.queues.values()
        )
        if not any(q is not None and q.member(interface) for q in queues):
            reply.error("Interface not found")
            return
        reply.success("Interface paused successfully" if paused else
                      "Interface unpaused successfully")  # fmt: skip
        self.pause(queue or None, interface, paused, _get(reply, "Reason"))


def _get(reply: Reply, key: str) -> str:
    return (reply.request.get(key) or "").strip()
