"""Log set-up for the entry points: our lines at the chosen level, libraries' bodies never."""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# At DEBUG these print whole requests: zeep its SOAP envelopes (the auth code), slack_sdk
# and urllib3 message bodies and response_url paths (a PIN, a URL that can post as the app).
# LOG_LEVEL=DEBUG is for lenspin's own lines; these stay at INFO or above whatever it says.
QUIET_LIBRARIES = {"zeep": logging.WARNING, "slack_sdk": logging.INFO, "urllib3": logging.INFO}

# The PIN request a log line belongs to, so one request's lines can be found together.
request_id: ContextVar[str] = ContextVar("request_id", default="")

# Structured fields a log call may pass in `extra`; only these reach the JSON line.
FIELDS = ("user", "team", "result", "latency_ms", "attempts", "route", "operation")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and known fields."""

    def format(self, record: logging.LogRecord) -> str:
        """Render record as a single line of JSON."""
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if request_id.get():
            line["request_id"] = request_id.get()
        line |= {name: getattr(record, name) for name in FIELDS if hasattr(record, name)}
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure_logging(level: str = "INFO", fmt: str = "text") -> None:
    """Send logs to stderr at level, as text or JSON lines; libraries' bodies stay out."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(FORMAT))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    chosen = logging.getLevelName(level)
    for name, floor in QUIET_LIBRARIES.items():
        logging.getLogger(name).setLevel(max(floor, chosen))
