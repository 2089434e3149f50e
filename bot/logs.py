"""Log set-up for the entry points: our lines at the chosen level, libraries' bodies never."""

from __future__ import annotations

import logging
import sys

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# At DEBUG these print whole requests: zeep its SOAP envelopes (the auth code), slack_sdk
# and urllib3 message bodies and response_url paths (a PIN, a URL that can post as the app).
# LOG_LEVEL=DEBUG is for lenspin's own lines; these stay at INFO or above whatever it says.
QUIET_LIBRARIES = {"zeep": logging.WARNING, "slack_sdk": logging.INFO, "urllib3": logging.INFO}


def configure_logging(level: str = "INFO") -> None:
    """Send logs to stderr at level, keeping the libraries that print bodies quiet."""
    logging.basicConfig(level=level, format=FORMAT, stream=sys.stderr, force=True)
    chosen = logging.getLevelName(level)
    for name, floor in QUIET_LIBRARIES.items():
        logging.getLogger(name).setLevel(max(floor, chosen))
