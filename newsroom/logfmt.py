"""logfmt output (one `key=value` line per event) for Django's and gunicorn's logs.

A log collector (Loki, Vector, Datadog, journald + grep) can split these lines without a custom
parser, and a traceback or a reader's crafted URL cannot forge a second line: values with
spaces, quotes or control characters are written as JSON strings.
"""

import json
import logging
import os
import time
from datetime import UTC, datetime, timedelta

from gunicorn.glogging import Logger, SafeAtoms


def quote(value) -> str:
    """Return `value` as a logfmt value: bare when safe, else a double-quoted JSON string."""
    if value is None:
        return "-"
    if isinstance(value, bool | int | float):
        return str(value)
    text = str(value)
    if text and text.isprintable() and not any(ch in text for ch in ' ="\\'):
        return text
    return json.dumps(text, ensure_ascii=False)


def iso_time(timestamp: float) -> str:
    # UTC: the master process and the Django workers (which set TZ=Asia/Shanghai) must agree.
    return datetime.fromtimestamp(timestamp, tz=UTC).isoformat(timespec="milliseconds")


class LogfmtFormatter(logging.Formatter):
    """Django's log records as `time= level= logger= msg= [status=] [exc=]`."""

    def format(self, record: logging.LogRecord) -> str:
        fields = {
            "time": iso_time(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "pid": record.process,
            "msg": record.getMessage(),
        }
        status = getattr(record, "status_code", None)
        if status is not None:
            fields["status"] = status
        if record.exc_info:
            # One line per event: the traceback travels as one escaped value.
            fields["exc"] = self.formatException(record.exc_info)
        return " ".join(f"{key}={quote(value)}" for key, value in fields.items())


class LogfmtAtoms(SafeAtoms):
    """gunicorn's access-log atoms, each already quoted for logfmt."""

    def __init__(self, atoms):
        dict.__init__(self)
        for key, value in atoms.items():
            self[key] = quote(value) if value is None or isinstance(value, str) else value

    def __getitem__(self, key):
        value = super().__getitem__(key)
        return "-" if value in ("", '""') else value


class GunicornLogger(Logger):
    """gunicorn's error and access logs in the same logfmt as the application's."""

    atoms_wrapper_class = LogfmtAtoms

    def atoms(self, resp, req, environ, request_time: timedelta):
        atoms = super().atoms(resp, req, environ, request_time)
        if not environ.get("PATH_INFO") and getattr(req, "path", None):
            # gunicorn's own 500 (the application raised past Django) builds an environ
            # without the path; the request still knows it.
            atoms["U"], atoms["q"] = req.path, getattr(req, "query", "")
        atoms["time"] = iso_time(time.time())
        atoms["duration_ms"] = f"{request_time.total_seconds() * 1000:.1f}"
        atoms["pid"] = os.getpid()
        return atoms

    def setup(self, cfg):
        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.setFormatter(LogfmtFormatter())
        for handler in self.access_log.handlers:
            # The access line is fully built from `access_log_format`.
            handler.setFormatter(logging.Formatter("%(message)s"))
