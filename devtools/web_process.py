"""Start the bot the way the Procfile's web line does, on a free loopback port."""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

import requests

ROOT = Path(__file__).resolve().parents[1]
PROCFILE = ROOT / "Procfile"
LOG_DIR_VARIABLE = "LENSPIN_WEB_LOG_DIR"


def procfile_command(process: str = "web", procfile: Path = PROCFILE) -> str:
    """The command line of one Procfile process type."""
    for line in procfile.read_text().splitlines():
        name, sep, command = line.partition(":")
        if sep and name.strip() == process:
            return command.strip()
    raise LookupError(f"{procfile} has no {process}: line")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class WebProcess:
    """The Procfile's web process (or another command) with a given environment."""

    def __init__(
        self,
        env: Mapping[str, str],
        *,
        port: int | None = None,
        command: Sequence[str] | None = None,
        dotenv: str | None = None,
    ) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.events_url = f"{self.url}/slack/events"
        self._env = {
            # Only what a PaaS would give: PATH, the venv's Python, and the config vars.
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "PYTHONPATH": str(ROOT),
            "PORT": str(self.port),
            **env,
        }
        # A working directory of its own, so a developer's .env never leaks into a run.
        self._cwd = tempfile.TemporaryDirectory(prefix="lenspin-web-")
        if dotenv is not None:
            (Path(self._cwd.name) / ".env").write_text(dotenv)
        self._command = list(command) if command else None
        # Lives as long as the process; its text is kept when stop() closes it. With
        # LENSPIN_WEB_LOG_DIR set (the tests do), the log stays there to be checked afterwards.
        log_dir = os.environ.get(LOG_DIR_VARIABLE)
        self._log = (
            open(Path(log_dir) / f"web-{self.port}-{os.getpid()}-{id(self)}.log", "w+b")  # noqa: SIM115
            if log_dir
            else tempfile.TemporaryFile(prefix="lenspin-web-log-")  # noqa: SIM115
        )
        self._final_output: str | None = None
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, *, timeout: float = 30.0) -> WebProcess:
        """Start it and return once GET /healthz answers 200."""
        command = self._command or [
            *shlex.split(procfile_command().replace("$PORT", str(self.port))),
            # gunicorn_conf binds 0.0.0.0 (a PaaS router must reach it); stand-ins and the
            # demo's well-known signing secret stay on loopback. gunicorn applies the command
            # line after the config file, so this bind wins.
            "--bind",
            f"127.0.0.1:{self.port}",
        ]
        self.process = subprocess.Popen(  # noqa: S603 (our own Procfile line)
            command,
            cwd=self._cwd.name,
            env=self._env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.wait_healthy(timeout)
        return self

    def wait_healthy(self, timeout: float) -> float:
        """Poll /healthz until it answers 200; return the seconds it took."""
        started = time.monotonic()
        deadline = started + timeout
        while True:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"the web process exited early:\n{self.output()}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return time.monotonic() - started
            except requests.RequestException:
                pass  # not listening yet, or a worker still booting: ask again
            if time.monotonic() > deadline:
                raise TimeoutError(f"no healthy /healthz after {timeout} s:\n{self.output()}")
            # Nothing announces readiness but the port itself, so poll it briefly.
            time.sleep(0.02)

    def output(self) -> str:
        """Everything the process printed so far (gunicorn's and the bot's logs)."""
        if self._final_output is not None:
            return self._final_output
        self._log.flush()
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")

    def stop(self) -> None:
        """Stop gunicorn gracefully, or kill it after a few seconds."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if self._final_output is None:
            self._final_output = self.output()
            self._log.close()
        self._cwd.cleanup()

    def __enter__(self) -> WebProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
