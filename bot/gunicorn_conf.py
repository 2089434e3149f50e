"""gunicorn settings for the Procfile's web process (gunicorn -c python:bot.gunicorn_conf)."""

from __future__ import annotations

import os
import sys
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bot.config import ConfigError, database_unreachable

bind = f"0.0.0.0:{os.environ.get('PORT', '3000')}"
# gthread: a worker keeps answering acks while other threads wait on Slack's API.
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# Heroku-style routers cut requests at 30 s; nothing we serve should come close.
timeout = 30
graceful_timeout = 20
keepalive = 5
# The admin socket would sit in $HOME, shared by every gunicorn on the machine; unused here.
control_socket_disable = True
accesslog = "-"
# No query strings or bodies in access logs: only the path, status and time taken.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'


def on_starting(server: Any) -> None:
    """Check settings and schema once in the master, so a mistake is one clear message."""
    # Imported here: after gunicorn has parsed its own config.
    from bot.app import open_store  # noqa: PLC0415
    from bot.store import SchemaOutdated  # noqa: PLC0415
    from bot.web import load_settings  # noqa: PLC0415

    try:
        open_store(load_settings()).engine.dispose()
    except (ConfigError, SchemaOutdated) as error:
        print(error, file=sys.stderr)
        sys.exit(1)
    except SQLAlchemyError as error:
        print(database_unreachable(error), file=sys.stderr)
        sys.exit(1)


def worker_exit(server: Any, worker: Any) -> None:
    """Before a worker goes (a deploy, a restart), settle every PIN request it holds."""
    shutdown = getattr(worker.wsgi, "shutdown", None)
    if callable(shutdown):
        shutdown()
