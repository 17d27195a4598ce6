"""The list actions a client re-syncs with: ``DeviceStateList`` and ``ExtensionStateList``.

As Asterisk 22 answers them (``res/res_manager_devicestate.c``, ``main/pbx.c``):
``Response: Success`` / ``EventList: start`` (``Device State Changes will follow``,
``Extension Statuses will follow``), one ``DeviceStateChange`` per device in the device state
cache or one ``ExtensionStatus`` per hint (pattern hints left out), each with ``ActionID`` right
after ``Event`` and no ``Privilege``, then ``DeviceStateListComplete`` /
``ExtensionStateListComplete`` with ``EventList: Complete`` and ``ListItems``. Hints come in the
order of ``main/pbx.c``'s hint container: 563 hash buckets keyed by ``ast_str_case_hash`` of the
extension, walked bucket by bucket (so 1000, 4225, 4224, 4226, as the captures list them).

``DeviceStateList`` lists the device state cache (:attr:`PbxState.cache`): every PJSIP endpoint
(published at start-up), the ``Custom:`` states kept in the AstDB, the queues' devices, and every
cachable device published since; never a ``Local/`` device, even one in use.
"""

from __future__ import annotations

from bridge.ami.protocol import Header
from bridge.pbxsim.session import ActionHandler, Reply
from bridge.pbxsim.state import PbxState, extension_state_text

_HINT_BUCKETS = 563  # HASH_EXTENHINT_SIZE


def hint_bucket(exten: str) -> int:
    """The bucket of ``exten`` in Asterisk's hint container (``ast_str_case_hash``)."""
    value = 5381
    for char in exten.lower().encode():
        value = ((value * 33) & 0xFFFFFFFF) ^ char
    signed = value - (1 << 32) if value >= 1 << 31 else value
    return abs(signed) % _HINT_BUCKETS


class SyncActions:
    """Handlers of ``DeviceStateList`` and ``ExtensionStateList``."""

    def __init__(self, state: PbxState) -> None:
        self._state = state

    def handlers(self) -> dict[str, ActionHandler]:
        """Lower-case action name -> handler."""
        return {
            "devicestatelist": self.device_state_list,
            "extensionstatelist": self.extension_state_list,
        }

    def _item(self, reply: Reply, name: str, headers: list[Header]) -> None:
        reply.session.send([("Event", name), *reply.action_id, *headers])

    def device_state_list(self, reply: Reply) -> None:
        devices = list(self._state.cache.items())
        reply.list_start("Device State Changes will follow")
        for device, state in devices:
            self._item(reply, "DeviceStateChange", [("Device", device), ("State", state)])
        reply.list_complete("DeviceStateListComplete", len(devices))

    def extension_state_list(self, reply: Reply) -> None:
        hints = [h for h in self._state.config.dialplan.hints() if not h[1].startswith("_")]
        hints.sort(key=lambda hint: hint_bucket(hint[1]))
        reply.list_start("Extension Statuses will follow")
        for context, exten, hint in hints:
            status = self._state.extension_state(context, exten)[1]
            self._item(reply, "ExtensionStatus", [
                ("Exten", exten), ("Context", context), ("Hint", hint), ("Status", str(status)),
                ("StatusText", extension_state_text(status)),
            ])  # fmt: skip
        reply.list_complete("ExtensionStateListComplete", len(hints))
