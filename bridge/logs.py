"""Logging: one line per record, as text or JSON (``[log] format``), to stderr or ``[log] file``.

Every record carries the request id of the HTTP request it happened in (``-`` outside one), so
a request's line and its AMI actions' lines can be matched. SIGHUP reopens the file (logrotate).
Nothing logs secrets: requests are logged by method, path and status, AMI actions by name and
outcome, never by their headers.
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar

from bridge.settings import LogSettings

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
account_var: ContextVar[str] = ContextVar("account", default="-")
route_var: ContextVar[str] = ContextVar("route", default="unknown")  # a metrics label
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "requestId": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


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
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
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
