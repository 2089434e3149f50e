"""Serve any WSGI target with the Procfile's gunicorn command line, timing the start-up."""

from __future__ import annotations

import os
import shlex
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import requests

from devtools.web_process import WebProcess, procfile_command

LENSPIN_TARGET = "bot.web:create_application()"
BARE_TARGET = "bench.bare_app:create_application()"
GUNICORN_CONFIG = "python:bot.gunicorn_conf"
# The bare app's own: lenspin's serving settings without its master's checks (see the module).
BARE_CONFIG = "python:bench.bare_conf"
# Finer than WebProcess's 20 ms, since start-up time is one of the figures.
_POLL_SECONDS = 0.005
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def gunicorn_command(target: str, port: int, config: str = GUNICORN_CONFIG) -> list[str]:
    """The Procfile's web command line with its app target replaced by target.

    With another config (the bare app's), gunicorn is started directly with that config.
    """
    args = shlex.split(procfile_command().replace("$PORT", str(port)))
    configs = [a for i, a in enumerate(args) if i > 0 and args[i - 1] in ("--config", "-c")]
    if configs != [GUNICORN_CONFIG]:
        raise ValueError(f"the Procfile no longer reads --config {GUNICORN_CONFIG}: {args}")
    # The app target is gunicorn's one positional argument, the last one in the Procfile.
    if ":" not in args[-1] or args[-1].startswith("-"):
        raise ValueError(f"no app target at the end of the Procfile's web line: {args}")
    if config == GUNICORN_CONFIG:
        return [*args[:-1], target]
    # Another app's master has no lenspin settings to check first: gunicorn itself, with the
    # same options (`python -m bot web` hands them to gunicorn as they are).
    if args[:4] != ["python", "-m", "bot", "web"]:
        raise ValueError(f"the Procfile no longer starts with python -m bot web: {args}")
    options = [config if a == GUNICORN_CONFIG else a for a in args[4:-1]]
    return ["python", "-m", "gunicorn", *options, target]


@dataclass(frozen=True)
class Worker:
    """Memory figures of one process, from /proc/<pid>/status."""

    pid: int
    vm_hwm_kib: int
    vm_rss_kib: int


class ServedApp(WebProcess):
    """WebProcess with another app target; start() records seconds to the first /healthz 200."""

    def __init__(
        self,
        env: Mapping[str, str],
        *,
        name: str,
        target: str,
        config: str = GUNICORN_CONFIG,
        port: int | None = None,
    ) -> None:
        super().__init__(env, port=port)
        self.name = name
        self.target = target
        self.config = config
        self.startup_seconds: float | None = None

    def start(self, *, timeout: float = 30.0) -> ServedApp:
        """Start gunicorn; return once GET /healthz answers 200."""
        command = gunicorn_command(self.target, self.port, self.config)
        started = time.monotonic()
        self.process = subprocess.Popen(  # noqa: S603 (the Procfile's own line)
            command,
            cwd=self._cwd.name,
            env=self._env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._poll_healthy(started, timeout)
        self.startup_seconds = time.monotonic() - started
        return self

    def _poll_healthy(self, started: float, timeout: float) -> None:
        # WebProcess.wait_healthy treats a read timeout as fatal; here it only means that no
        # worker has accepted yet (the master listens first), so keep polling.
        deadline = started + timeout
        with requests.Session() as session:
            session.trust_env = False
            while True:
                if self.process is not None and self.process.poll() is not None:
                    raise RuntimeError(f"{self.name} exited early:\n{self.output()}")
                try:
                    response = session.get(f"{self.url}/healthz", timeout=1)
                    if response.status_code == 200:
                        return
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{self.name}: no /healthz 200 after {timeout} s")
                time.sleep(_POLL_SECONDS)

    def workers(self) -> list[Worker]:
        """The gunicorn workers (children of the master), with their memory figures."""
        if self.process is None:
            return []
        return [w for pid in children_of(self.process.pid) if (w := read_memory(pid))]

    def master(self) -> Worker | None:
        """The gunicorn master's memory figures."""
        return read_memory(self.process.pid) if self.process is not None else None

    def cpu_seconds(self) -> float:
        """User plus system CPU seconds used so far by the master and its workers."""
        if self.process is None:
            return 0.0
        pids = [self.process.pid, *children_of(self.process.pid)]
        return sum(cpu_seconds(pid) for pid in pids)


def children_of(parent: int) -> list[int]:
    """The pids whose parent is parent, found by scanning /proc (psutil is not installed)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone while we looked
        # The command name in parentheses may hold spaces; the fields after it do not.
        fields = stat.rpartition(")")[2].split()
        if len(fields) > 1 and int(fields[1]) == parent:
            found.append(int(entry.name))
    return sorted(found)


def cpu_seconds(pid: int) -> float:
    """utime + stime of pid from /proc/<pid>/stat, in seconds (0 if it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    # Fields after the parenthesised command name: state is [0], utime [11], stime [12].
    fields = stat.rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def read_memory(pid: int) -> Worker | None:
    """VmHWM (peak RSS) and VmRSS of pid in KiB, or None if it is gone."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return None
    values = {}
    for line in lines:
        key, _, rest = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            values[key] = int(rest.split()[0])
    if len(values) < 2:
        return None
    return Worker(pid, values["VmHWM"], values["VmRSS"])
