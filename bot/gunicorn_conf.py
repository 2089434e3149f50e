"""gunicorn settings for the Procfile's web process (gunicorn -c python:bot.gunicorn_conf)."""

from __future__ import annotations

import sys
from typing import Any

from bot.config import ConfigError, Settings, load_settings


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


# The master only serves: it imports neither the app nor the database stack (about 45 MiB a
# dyno pays once more for nothing). Each worker checks the schema and the key as it builds the
# app, and the first to find a problem says it once and stops the server (bot/front.py).


def on_exit(server: Any) -> None:
    """Exit 1, not gunicorn's 3, when a worker stopped the server because it cannot start."""
    # The status a refused start had when the master checked the store itself.
    from bot.front import GatheringWorker  # noqa: PLC0415 (loaded already: the worker class)

    if GatheringWorker.refusals is not None and GatheringWorker.refusals.spoken():
        sys.exit(1)


def worker_exit(server: Any, worker: Any) -> None:
    """Before a worker goes (a deploy, a restart), settle every PIN request it holds."""
    # A worker that refused to start (bot/front.py) has no app to settle.
    shutdown = getattr(getattr(worker, "wsgi", None), "shutdown", None)
    if callable(shutdown):
        shutdown()
