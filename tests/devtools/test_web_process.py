"""WebProcess: the Procfile's web line, kept on loopback whatever gunicorn_conf binds."""

from __future__ import annotations

import re

from tests.support import WebProcess


def test_the_web_process_listens_on_loopback_only(web: WebProcess) -> None:
    # gunicorn_conf binds 0.0.0.0 for a PaaS router; the command line's --bind must win, so
    # the stand-ins' well-known signing secret is never reachable from another machine.
    binds = re.findall(r"Listening at: http://([^ ]+) ", web.output())
    assert binds == [f"127.0.0.1:{web.port}"]
