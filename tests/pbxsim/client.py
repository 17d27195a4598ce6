"""A bare asyncio AMI client for driving the simulated PBX in tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable, Mapping

from bridge.ami.protocol import AmiParser, Header, Message, encode


class AmiTestClient:
    """One TCP connection: write requests, read messages one at a time."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.parser = AmiParser()
        self._ready: list[Message] = []

    @classmethod
    async def connect(cls, port: int) -> AmiTestClient:
        """Open a connection to the simulator on 127.0.0.1."""
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    def send(self, headers: Mapping[str, str] | Iterable[Header]) -> None:
        """Write one request."""
        self.writer.write(encode(Message(headers)))

    async def message(self) -> Message:
        """The next message; EOFError when the server has closed."""
        while not self._ready:
            data = await self.reader.read(65536)
            if not data:
                raise EOFError("the server closed the connection")
            self._ready.extend(self.parser.feed(data))
        return self._ready.pop(0)

    async def until(self, key: str, value: str) -> Message:
        """Skip messages until one whose ``key`` header is ``value``."""
        while True:
            message = await self.message()
            if message.get(key) == value:
                return message

    async def login(
        self, username: str = "bridge", secret: str = "bridge-secret", **extra: str
    ) -> Message:
        """Log in; the Login response (events that follow stay queued)."""
        self.send(
            {
                "Action": "Login",
                "ActionID": "login",
                "Username": username,
                "Secret": secret,
                **extra,
            }
        )
        return await self.until("ActionID", "login")

    async def closed(self) -> bool:
        """True once the server has closed (reads and drops what is still queued)."""
        try:
            while True:
                await self.message()
        except (EOFError, ConnectionError):
            return True

    async def close(self) -> None:
        """Close our side."""
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()
