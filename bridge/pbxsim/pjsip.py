"""chan_pjsip's inventory actions: ``PJSIPShowEndpoints`` and ``PJSIPShowEndpoint``.

As Asterisk 22 answers them (``res/res_pjsip/pjsip_configuration.c``, write class ``system``;
capture ``pjsip/pjsip_inventory``): ``PJSIPShowEndpoints`` lists every endpoint in id order, one
``EndpointList`` each (its transport, AOR, contacts as ``aor/uri,``, device state in words and
live channels), then ``EndpointListComplete``. ``PJSIPShowEndpoint`` reports one endpoint's
objects: ``EndpointDetail`` (every setting, ``Callerid`` among them), its ``TransportDetail``,
``AorDetail`` and a ``ContactStatusDetail`` per contact, then ``EndpointDetailComplete``. Both
list events carry ``ActionID`` right after ``Event``. An unknown endpoint, or none given, is an
error whose ``Message`` ends with a bare LF, as Asterisk writes it.

The simulated endpoints are :attr:`PbxConfig.endpoints` (context ``from-internal``, caller ID
``"<name>" <<id>>``) and the trunk (context ``from-trunk``, no caller ID of its own: Asterisk's
``<unknown>``; the captures do not show the trunk's detail). Each has one AOR of its own name
with one static contact (:attr:`PbxConfig.contacts`, else ``sip:<id>@127.0.0.1:5060``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from bridge.ami.protocol import Header
from bridge.pbxsim.pjsip_objects import AOR, CONTACT_STATUS, ENDPOINT, TRANSPORT
from bridge.pbxsim.session import ActionHandler, Reply
from bridge.pbxsim.state import PbxState

# ast_devstate_str() of each device state name
DEVICE_STATE_TEXT = {
    "UNKNOWN": "Unknown", "NOT_INUSE": "Not in use", "INUSE": "In use", "BUSY": "Busy",
    "INVALID": "Invalid", "UNAVAILABLE": "Unavailable", "RINGING": "Ringing",
    "RINGINUSE": "Ring+Inuse", "ONHOLD": "On Hold",
}  # fmt: skip


def _with(template: Iterable[Header], values: dict[str, str]) -> list[Header]:
    return [(key, values.get(key, value)) for key, value in template]


class PjsipActions:
    """Handlers of ``PJSIPShowEndpoints`` and ``PJSIPShowEndpoint``."""

    def __init__(self, state: PbxState) -> None:
        self._state = state

    def handlers(self) -> dict[str, ActionHandler]:
        """Lower-case action name -> handler."""
        return {
            "pjsipshowendpoints": self.show_endpoints,
            "pjsipshowendpoint": self.show_endpoint,
        }

    def _endpoints(self) -> list[str]:
        config = self._state.config
        if not config.endpoints:
            return []
        return sorted({*config.endpoints, config.trunk})

    def _contact(self, endpoint: str) -> str:
        return self._state.config.contacts.get(endpoint, f"sip:{endpoint}@127.0.0.1:5060")

    def _live(self, endpoint: str) -> dict[str, str]:
        device = f"PJSIP/{endpoint}"
        state = DEVICE_STATE_TEXT.get(self._state.device_state(device), "Unknown")
        active = sum(1 for name in self._state.channels if name.startswith(f"{device}-"))
        return {"DeviceState": state, "ActiveChannels": str(active)}

    def _item(self, reply: Reply, name: str, headers: list[Header]) -> None:
        reply.session.send([("Event", name), *reply.action_id, *headers])

    def show_endpoints(self, reply: Reply) -> None:
        endpoints = self._endpoints()
        if not endpoints:
            _error_line(reply, "No endpoints found")
            return
        reply.list_start("A listing of Endpoints follows, presented as EndpointList events")
        for endpoint in endpoints:
            self._item(reply, "EndpointList", [
                ("ObjectType", "endpoint"), ("ObjectName", endpoint),
                ("Transport", "transport-udp"), ("Aor", endpoint), ("Auths", ""),
                ("OutboundAuths", ""), ("Contacts", f"{endpoint}/{self._contact(endpoint)},"),
                *self._live(endpoint).items(),
            ])  # fmt: skip
        reply.list_complete("EndpointListComplete", len(endpoints))

    def show_endpoint(self, reply: Reply) -> None:
        endpoint = (reply.request.get("Endpoint") or "").strip()
        if endpoint.lower().startswith("pjsip/"):
            endpoint = endpoint[6:]
        if not endpoint:
            _error_line(reply, "PJSIPShowEndpoint requires an endpoint name")
            return
        if endpoint not in self._endpoints():
            _error_line(reply, f"Unable to retrieve endpoint {endpoint}")
            return
        config = self._state.config
        name = config.endpoints.get(endpoint)
        contact = self._contact(endpoint)
        reply.list_start("Following are Events for each object associated with the Endpoint")
        self._item(reply, "EndpointDetail", _with(ENDPOINT, {
            "ObjectName": endpoint, "Aors": endpoint,
            "Context": "from-trunk" if name is None else "from-internal",
            "Callerid": "<unknown>" if name is None else _caller_id(name, endpoint),
            **self._live(endpoint),
        }))  # fmt: skip
        self._item(reply, "TransportDetail", _with(TRANSPORT, {"EndpointName": endpoint}))
        self._item(reply, "AorDetail", _with(AOR, {
            "ObjectName": endpoint, "Contacts": f"{endpoint}/{contact}",
            "EndpointName": endpoint,
        }))  # fmt: skip
        digest = hashlib.md5(contact.encode(), usedforsecurity=False).hexdigest()
        self._item(reply, "ContactStatusDetail", _with(CONTACT_STATUS, {
            "AOR": endpoint, "URI": contact, "EndpointName": endpoint,
            "ID": f"{endpoint}@@{digest}",
        }))  # fmt: skip
        reply.list_complete("EndpointDetailComplete", 4)


def _caller_id(name: str, number: str) -> str:
    """ast_callerid_merge(): ``"name" <number>``, the name's ``"`` and ``\\`` escaped."""
    escaped = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}" <{number}>'


def _error_line(reply: Reply, message: str) -> None:
    """``Response: Error`` whose message ends with the LF that res_pjsip's errors carry
    (``astman_send_error_va(s, m, "...\\n")``): a bare LF, then the CRLF of the line."""
    head = ["Response: Error\r\n", *(f"{k}: {v}\r\n" for k, v in reply.action_id)]
    reply.session.send_raw(f"{''.join(head)}Message: {message}\n\r\n\r\n".encode())
