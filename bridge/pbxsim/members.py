"""Queue members as app_queue reports them, and which of them a call rings (``apps/app_queue.c``).

The fields of ``QueueMemberStatus`` and of ``QueueStatus``'s ``QueueMember``; whether a member can
take a call (``is_member_available``); and the order a ringall queue rings its members in: app_queue
keeps them in a hash container of 37 buckets keyed by ``member_hash_fn`` (up to five characters of
the interface from its ``/``, six bits each), walks it bucket by bucket and puts each member at the
head of its outgoing list, so they ring in that order reversed. With ``PJSIP/4224`` (bucket 21) and
``PJSIP/4225`` (bucket 31), 4225 rings first, as ``pjsip/did_to_queue`` shows.
"""

from __future__ import annotations

from collections.abc import Sequence

from bridge.ami.protocol import Header
from bridge.pbxsim.config import Queue, QueueMember
from bridge.pbxsim.events import event


def member_status_event(
    queue: Queue, member: QueueMember, name: str = "QueueMemberStatus"
) -> list[Header]:
    """``QueueMemberStatus`` of one member (or another event of the same fields: ``name``)."""
    return event(
        name,
        "agent",
        [
            ("Queue", queue.name),
            ("MemberName", member.name or member.interface),
            ("Interface", member.interface),
            *member_headers(member, member.status or 0)[2:13],
            ("Ringinuse", str(int(member.ringinuse))),
            ("Wrapuptime", str(member.wrapuptime)),
        ],
    )


def member_headers(member: QueueMember, status: int) -> list[Header]:
    """A member's fields as ``QueueMember`` (QueueStatus) lists them, from ``Name`` on."""
    return [
        ("Name", member.name or member.interface),
        ("Location", member.interface),
        ("StateInterface", member.device),
        ("Membership", member.membership),
        ("Penalty", str(member.penalty)),
        ("CallsTaken", str(member.calls_taken)),
        ("LastCall", str(member.last_call)),
        ("LastPause", str(member.last_pause)),
        ("LoginTime", str(member.login_time)),
        ("InCall", str(int(member.in_call))),
        ("Status", str(status)),
        ("Paused", str(int(member.paused))),
        ("PausedReason", member.paused_reason),
        ("Wrapuptime", str(member.wrapuptime)),
    ]


# ast_device_state values a member cannot take calls in, whatever its ringinuse
_UNREACHABLE = (4, 5)  # AST_DEVICE_INVALID, AST_DEVICE_UNAVAILABLE


def member_available(member: QueueMember) -> bool:
    """app_queue.c's ``is_member_available`` (wrap-up time aside): not paused, and idle or of
    unknown state, or in use with ``ringinuse``; never while invalid or unavailable."""
    if member.paused or member.status in _UNREACHABLE:
        return False
    return member.status in (None, 0, 1) or member.ringinuse


_BUCKETS = 37


def _compress(char: str) -> int:
    code = ord(char) & 0x7F
    return 0 if code < 32 else code - 64 if code > 96 else code - 32


def member_bucket(interface: str) -> int:
    """The hash bucket of a member's interface."""
    start = interface.find("/")
    name = interface[start:] if start >= 0 else interface
    value = sum(_compress(char) << (index * 6) for index, char in enumerate(name[:5]))
    return value % _BUCKETS


def ring_order(members: Sequence[QueueMember]) -> list[QueueMember]:
    """``members`` in the order a ringall queue calls them."""
    walked = sorted(
        enumerate(members), key=lambda item: (member_bucket(item[1].interface), item[0])
    )
    return [member for _, member in reversed(walked)]
