"""Logging: one line per record, as text or JSON (``[log] format``), to stderr or ``[log] file``.

Every record carries the request id of the HTTP request it happened in (``-`` outside one), so
a request's line and its AMI actions' lines can be matched. SIGHUP reopens the file (logrotate).
Nothing logs secrets: requests are logged by method, path and status, AMI actions by name and
outcome, never by their headers.

Messages hold values that clients and admins chose (account names, caller ids, slugs): in text
logs every control character in a message is written as an escape (``\\x0a``), so no value can
start a line of its own and pass for the bridge's. JSON logs are escaped by JSON itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
import time
from contextvars import ContextVar

from bridge.settings import LogSettings

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
account_var: ContextVar[str] = ContextVar("account", default="-")
route_var: ContextVar[str] = ContextVar("route", default="unknown")  # a metrics label
ACCESS = "bridge.access"


def escaped(text: str) -> str:
    """``text`` with every unprintable character (control characters, line and paragraph
    separators, undecodable bytes) written as a Python-style escape."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else _escape(c) for c in text)


def _escape(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _sound(text: str) -> str:
    """``text`` with undecodable bytes (lone surrogates) escaped, so that it can be written
    as UTF-8."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def text_line(time_text: str, level: str, logger: str, request_id: str, message: str) -> str:
    """One line of the text format (the message escaped already)."""
    return f"{time_text} {level} {logger} [{request_id}] {message}"


def json_line(
    time_text: str,
    level: str,
    logger: str,
    request_id: str,
    message: str,
    exception: str | None = None,
) -> str:
    """One line of the JSON format: an object with ``time``, ``level``, ``logger``,
    ``requestId``, ``message`` (and ``exception``)."""
    entry = {
        "time": time_text,
        "level": level.lower(),
        "logger": logger,
        "requestId": request_id,
        "message": _sound(message),
    }
    if exception is not None:
        entry["exception"] = _sound(exception)
    return json.dumps(entry, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """The text format, with the message escaped (a traceback keeps its lines)."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return text_line(
            self.formatTime(record),
            record.levelname,
            record.name,
            getattr(record, "request_id", "-"),
            escaped(record.message),
        )


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json_line(
            self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            record.levelname,
            record.name,
            getattr(record, "request_id", "-"),
            record.getMessage(),
            self.formatException(record.exc_info) if record.exc_info else None,
        )


class ReopenableFileHandler(logging.FileHandler):
    def reopen(self) -> None:
        self.acquire()
        try:
            if self.stream is not None:
                self.stream.close()
            self.stream = self._open()
        finally:
            self.release()


def configure_logging(settings: LogSettings) -> logging.Handler:
    handler: logging.Handler
    if settings.file:
        handler = ReopenableFileHandler(settings.file, encoding="utf-8")
    else:
        handler = logging.StreamHandler(sys.stderr)
    if settings.format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.level.upper())
    return handler


def reopen_logs() -> None:
    """SIGHUP: reopen log files (after logrotate moved them)."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, ReopenableFileHandler):
            handler.reopen()


class AccessLog:
    """One line per HTTP request, without logging's per-record machinery (it is on the hot
    path): lines are formatted here, gathered, and written to the root handlers' streams every
    ``FLUSH_SECONDS`` (other handlers get ordinary records). Same text and JSON shapes as the
    formatters above."""

    FLUSH_SECONDS = 0.05

    def __init__(self, json_format: bool) -> None:
        self._json = json_format
        self._logger = logging.getLogger(ACCESS)
        self._pending: list[str] = []
        self._flushing: asyncio.TimerHandle | None = None
        self._second = -1
        self._stamp = ""

    def request(
        self,
        method: str,
        path: str,
        status: int,
        seconds: float,
        account: str,
        remote: str,
        request_id: str,
    ) -> None:
        if not self._logger.isEnabledFor(logging.INFO):
            return
        if " " in account:  # a name seeded by SQL: one field of the line all the same
            account = account.replace(" ", "\\x20")
        message = f"{method} {path} {status} {seconds * 1000:.1f} ms {account} {remote}"
        if not self._json:
            message = escaped(message)
        now = time.time()
        if int(now) != self._second:
            self._second = int(now)
            self._stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now))
        if self._json:
            line = json_line(self._stamp.replace(" ", "T"), "INFO", ACCESS, request_id, message)
        else:
            stamp = f"{self._stamp},{int((now % 1) * 1000):03d}"  # logging's asctime
            line = text_line(stamp, "INFO", ACCESS, request_id, message)
        self._pending.append(line)
        if self._flushing is None:
            self._flushing = asyncio.get_running_loop().call_later(self.FLUSH_SECONDS, self.flush)

    def flush(self) -> None:
        self._flushing = None
        lines, self._pending = self._pending, []
        if not lines:
            return
        text = "\n".join(lines) + "\n"
        for handler in _handlers_of(self._logger):
            if isinstance(handler, logging.StreamHandler) and handler.stream is not None:
                with handler.lock or contextlib.nullcontext():
                    handler.stream.write(text)
                    handler.flush()
            else:
                for line in lines:
                    handler.handle(
                        self._logger.makeRecord(
                            self._logger.name, logging.INFO, "", 0, line, (), None
                        )
                    )


def _handlers_of(logger: logging.Logger) -> list[logging.Handler]:
    handlers: list[logging.Handler] = []
    current: logging.Logger | None = logger
    while current is not None:
        handlers.extend(h for h in current.handlers if h.level <= logging.INFO)
        current = current.parent if current.propagate else None
    return handlers
