"""Log set-up for the entry points; keeps SOAP envelopes out of every log."""

from __future__ import annotations

import logging
import sys

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: str = "INFO") -> None:
    """Send our logs to stderr at level; zeep's transport logger stays quiet at any level."""
    logging.basicConfig(level=level, format=FORMAT, stream=sys.stderr, force=True)
    # zeep logs whole envelopes, auth code included, at DEBUG; our transport bypasses that
    # code, and this keeps it shut should anything reach it.
    logging.getLogger("zeep").setLevel(logging.WARNING)
    logging.getLogger("urllib3").setLevel(max(logging.INFO, logging.getLevelName(level)))
