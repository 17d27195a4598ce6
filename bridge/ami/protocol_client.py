"""panoramisk's AMI protocol with the sharp edges it shows under faults filed off.

- Bytes are parsed by :class:`bridge.ami.protocol.AmiParser`: UTF-8 split across reads survives.
- A reply goes to its pending action (panoramisk's ``Action`` decides when it is complete); every
  other message is an event for the link, and an exception in its handler is logged, not fatal.
- When the connection drops, every pending action fails with :class:`AmiDisconnected` at once:
  nothing is ever queued to be sent again (an Originate must never run twice).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from panoramisk.ami_protocol import AMIProtocol
from panoramisk.message import Message as PMessage

from bridge.ami.protocol import AmiParser, Message

log = logging.getLogger(__name__)


class AmiDisconnected(ConnectionError):
    """The AMI connection dropped before the action was answered (it was not re-sent)."""


class ClientProtocol(AMIProtocol):  # type: ignore[misc]
    """One AMI connection. ``on_event`` gets every message that answers no pending action."""

    def __init__(
        self, on_event: Callable[[Message], None], on_lost: Callable[[], None] | None = None
    ) -> None:
        self._on_event = on_event
        self._on_lost = on_lost
        self._parser = AmiParser()
        self.lost: asyncio.Future[BaseException | None] = asyncio.get_running_loop().create_future()
        self.received = 0

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self.encoding = "utf-8"
        self.log = log

    @property
    def banner(self) -> str | None:
        """The line Asterisk greets with (``Asterisk Call Manager/11.0.0``), once read."""
        return self._parser.banner

    def send(self, data: Any, as_list: bool | None = False) -> asyncio.Future[Any]:
        if self.closed:
            future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            future.set_exception(AmiDisconnected("the AMI connection is closed"))
            return future
        return super().send(data, as_list=as_list)  # type: ignore[no-any-return]

    def forget(self, action_future: asyncio.Future[Any]) -> None:
        """Drop an action the caller gave up on (timeout) from the pending table."""
        for key, action in list(self.responses.items()):
            if action.future is action_future:
                del self.responses[key]

    def data_received(self, data: bytes) -> None:
        for message in self._parser.feed(data):
            self.received += 1
            self._route(message)

    def _route(self, message: Message) -> None:
        action_id = message.fields.get("ActionID")
        action = self.responses.get(action_id) if action_id is not None else None
        if action is not None and not _is_unsolicited(message):
            if action.add_message(_to_panoramisk(message)):
                self.responses.pop(action.id, None)
                self.responses.pop(action.action_id, None)
            return
        try:
            self._on_event(message)
        except Exception:
            log.exception("AMI event handler failed on %s", message.exact("Event"))

    def connection_lost(self, exc: BaseException | None) -> None:
        self.closed = True
        pending = {id(a): a for a in self.responses.values()}.values()
        self.responses.clear()
        for action in pending:
            if not action.future.done():
                action.future.set_exception(
                    AmiDisconnected("the AMI connection dropped before Asterisk answered")
                )
        if not self.lost.done():
            self.lost.set_result(exc)
            if self._on_lost is not None:
                self._on_lost()

    def close(self) -> None:
        if not self.closed and self.transport is not None:
            self.transport.close()

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()


def _is_unsolicited(message: Message) -> bool:
    # OriginateResponse carries the Originate's ActionID but arrives after its ack (the action
    # is sent with as_list=False, so it is complete by then); never let it complete another.
    return message.exact("Event") == "OriginateResponse"


def _to_panoramisk(message: Message) -> PMessage:
    headers: dict[str, Any] = {}
    for key, value in message.headers:
        if key in headers:
            previous = headers[key]
            headers[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            headers[key] = value
    return PMessage(headers)
