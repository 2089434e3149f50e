"""gunicorn settings for the bare Bolt app: lenspin's serving settings, none of its checks.

A bare Bolt app's master only serves: it does not check lenspin's database or key, so it does
not import lenspin's settings, SQLAlchemy or cryptography either. The benchmark resolves
workers and threads from bot/gunicorn_conf.py and hands both apps the same numbers.
"""

from __future__ import annotations

import os

bind = f"0.0.0.0:{os.environ['PORT']}"
# gunicorn's own threaded worker: what a bare Bolt app would run.
worker_class = "gthread"
workers = int(os.environ["WEB_CONCURRENCY"])
threads = int(os.environ["GUNICORN_THREADS"])
# The rest as bot/gunicorn_conf.py has it, so both apps log and time out alike.
timeout = 30
graceful_timeout = 20
keepalive = 5
control_socket_disable = True
accesslog = "-"
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'
