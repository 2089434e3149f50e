"""gunicorn settings for the Procfile's web process (gunicorn -c python:bot.gunicorn_conf)."""

from __future__ import annotations

import sys
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bot.config import ConfigError, Settings, database_unreachable, load_settings


def _settings() -> Settings:
    # gunicorn reads this file before anything else: a bad setting is one clear message here,
    # every bad variable named, instead of a traceback from int().
    try:
        return load_settings()
    except ConfigError as error:
        print(error, file=sys.stderr)
        sys.exit(1)


_SETTINGS = _settings()
bind = f"0.0.0.0:{_SETTINGS.port}"
# gthread: a worker keeps answering acks while other threads wait on Slack's API; gathering
# (bot/front.py) collects each request whole before a thread takes it, so a sender that
# stalls mid-request holds a socket, never one of the threads.
worker_class = "bot.front.GatheringWorker"
workers = _SETTINGS.web_concurrency
threads = _SETTINGS.gunicorn_threads
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
    """Check the schema and the key once in the master, so a mistake is one clear message."""
    # Imported here: after gunicorn has parsed its own config.
    from bot.app import open_store, store_refusal  # noqa: PLC0415
    from bot.domain import StoreError  # noqa: PLC0415
    from bot.store import SchemaOutdated  # noqa: PLC0415

    try:
        open_store(_SETTINGS).engine.dispose()
    except SchemaOutdated as error:
        print(error, file=sys.stderr)
        sys.exit(1)
    except StoreError as error:
        print(store_refusal(error), file=sys.stderr)
        sys.exit(1)
    except SQLAlchemyError as error:
        print(database_unreachable(error), file=sys.stderr)
        sys.exit(1)


def worker_exit(server: Any, worker: Any) -> None:
    """Before a worker goes (a deploy, a restart), settle every PIN request it holds."""
    shutdown = getattr(worker.wsgi, "shutdown", None)
    if callable(shutdown):
        shutdown()
