"""The lab PBXs the captures in ``tests/fixtures/ami-captures`` were recorded on, as simulator
config: the Local-channel lab (:func:`lab_config`) and the chan_pjsip one of ``pjsip/``
(:func:`pjsip_lab_config`), and a FreePBX-like PBX of any PJSIP phones for call flows
(:func:`phone_lab_config`)."""

from __future__ import annotations

from bridge.pbxsim.config import Dialplan, Extension, PbxConfig, Queue, QueueMember

VERSION = "Asterisk 22.10.1 built by root @ vm on a x86_64 running Linux on 2026-11-28 02:44:47 UTC"
_DND = "Custom:DND${CALLERID(num)}"
# FreePBX's DND codes as the pjsip lab has them: the AstDB key, then the Custom: device state.
FEATURE_CODES = {
    "*76": Extension([
        ("Answer", ""), ("Set", "DB(DND/${CALLERID(num)})=YES"),
        ("Set", f"DEVICE_STATE({_DND})=BUSY"), ("Wait", "1"), ("Hangup", ""),
    ]),
    "*77": Extension([
        ("Answer", ""), ("Set", "DELETED=${DB_DELETE(DND/${CALLERID(num)})}"),
        ("Set", f"DEVICE_STATE({_DND})=NOT_INUSE"), ("Wait", "1"), ("Hangup", ""),
    ]),
}  # fmt: skip


def lab_config() -> PbxConfig:
    """The lab PBX of the captures: context ``internal``, hints, queue ``support``."""
    ring = [("Answer", ""), ("Wait", "30"), ("Hangup", "")]
    internal = {
        "4224": Extension(list(ring), "Custom:DND4224"),
        "4225": Extension(list(ring), "Custom:DND4225"),
        "1000": Extension(list(ring), "Local/1000@internal"),
    }
    internal.update({str(n): Extension(list(ring)) for n in range(1001, 1011)})
    internal["5000"] = Extension([("Answer", ""), ("Queue", "support,r,,,60")])
    internal["_X."] = Extension([("Answer", ""), ("Wait", "5"), ("Hangup", "")])
    member = QueueMember(
        "Local/4224@internal", "Agent 4224", calls_taken=2, last_call=1795834457,
        login_time=1795834080,
    )  # fmt: skip
    support = Queue(
        "support", [member], talktime=7, completed=2, service_level_perf=100.0,
        service_level_perf2=100.0,
    )  # fmt: skip
    return PbxConfig(
        dialplan=Dialplan({"internal": internal}),
        queues={"support": support},
        cli={"core show version": [VERSION], "dialplan show 4224@internal": _dialplan_4224()},
    )


def _dialplan_4224() -> list[str]:
    def row(left: str, right: str) -> str:
        return f"{left:<66}{right}"

    return [
        "[ Context 'internal' created by 'pbx_config' ]",
        row("  '4224' =>         hint: Custom:DND4224", "[extensions.conf:15]"),
        row("                    1. Answer()", "[extensions.conf:18]"),
        row("                    2. Wait(30)", "[extensions.conf:19]"),
        row("                    3. Hangup()", "[extensions.conf:20]"),
        row("  '_X.' =>          1. Answer()", "[extensions.conf:74]"),
        row("                    2. Wait(5)", "[extensions.conf:75]"),
        row("                    3. Hangup()", "[extensions.conf:76]"),
        "",
        "-= 2 extensions (7 priorities) in 1 context. =-",
    ]


def phone_lab_config(
    people: dict[str, str], *, queues: dict[str, list[str]] | None = None
) -> PbxConfig:
    """A FreePBX-like PBX for call flows: ``people`` (number -> caller ID name) are PJSIP
    endpoints of context ``from-internal`` whose extensions Dial them, with hints
    ``PJSIP/<n>&Custom:DND<n>``; ``queues`` (name -> member interfaces) are static queues,
    reached on extensions 5000, 5001... Outside numbers go out through endpoint ``trunk``;
    ``*76``/``*77`` are the DND codes of :func:`pjsip_lab_config`."""
    internal = {
        number: Extension([("Dial", f"PJSIP/{number},30")], f"PJSIP/{number}&Custom:DND{number}")
        for number in people
    }
    internal.update(FEATURE_CODES)
    internal["_X."] = Extension([("Dial", "PJSIP/${EXTEN}@trunk,,tT")])
    config_queues = {}
    for index, (name, interfaces) in enumerate((queues or {}).items()):
        internal[str(5000 + index)] = Extension([("Answer", ""), ("Queue", f"{name},t,,,300")])
        members = [QueueMember(i, people.get(i.partition("/")[2], "")) for i in interfaces]
        config_queues[name] = Queue(name, members)
    return PbxConfig(
        dialplan=Dialplan({"from-internal": internal}),
        queues=config_queues,
        endpoints=dict(people),
    )


def pjsip_lab_config() -> PbxConfig:
    """The chan_pjsip lab of ``tests/fixtures/ami-captures/pjsip`` (its README): endpoints
    4224-4226 ("Phone <n>") and ``trunk``; ``from-internal`` (``_42XX`` dials the phone unless
    AstDB ``DND/<n>`` is set, ``*76``/``*77``, ``5000`` the queue, ``_9X.`` an outside number
    the PBX answers itself), ``from-trunk`` (two DIDs), queue ``support`` (ringall, static
    member ``PJSIP/4224`` "Agent 4224", with the calls the lab's earlier runs left)."""
    dial = [
        ("NoOp", "Internal call ${CALLERID(num)} -> ${EXTEN}"),
        ("GotoIf", "$[${DB_EXISTS(DND/${EXTEN})}]?dnd"), ("Dial", "PJSIP/${EXTEN},20"),
        ("Hangup", ""), ("Busy", "20"),
    ]  # fmt: skip
    people = {n: f"Phone {n}" for n in ("4224", "4225", "4226")}
    internal = {n: Extension(list(dial), f"PJSIP/{n}&Custom:DND{n}", {"dnd": 5}) for n in people}
    internal["_42XX"] = Extension(list(dial), labels={"dnd": 5})
    internal.update(FEATURE_CODES)
    internal["5000"] = Extension([("Queue", "support")])
    internal["_9X."] = Extension([
        ("NoOp", "Outbound call ${CALLERID(num)} -> ${EXTEN:1}"), ("Answer", ""),
        ("Wait", "5"), ("Hangup", ""),
    ])  # fmt: skip
    trunk = {
        "18005550100": Extension([
            ("NoOp", "DID ${EXTEN} from ${CALLERID(num)} -> queue support"),
            ("Queue", "support"),
        ]),
        "18005550142": Extension([
            ("NoOp", "DID ${EXTEN} from ${CALLERID(num)} -> 4224"), ("Dial", "PJSIP/4224,20"),
        ]),
    }  # fmt: skip
    member = QueueMember("PJSIP/4224", "Agent 4224", calls_taken=2, last_call=1795991710,
                         login_time=1795991657)  # fmt: skip
    support = Queue("support", [member], holdtime=1, talktime=5, completed=2)
    return PbxConfig(
        dialplan=Dialplan({"from-internal": internal, "from-trunk": trunk}, strict=True),
        queues={"support": support},
        endpoints=people,
        contacts={
            "4224": "sip:4224@127.0.0.1:5071",
            "4225": "sip:4225@127.0.0.1:5072",
            "4226": "sip:4226@127.0.0.1:5073",
            "trunk": "sip:trunk@127.0.0.1:5090",
        },
        devices={
            "Custom:DND4224": "NOT_INUSE",
            "Custom:DND4226": "NOT_INUSE",
            "Queue:support_pause_PJSIP/4224": "NOT_INUSE",
            "Queue:support_pause_PJSIP/4225": "NOT_INUSE",
            "Queue:support": "NOT_INUSE",
        },
    )
