"""HTTP as a hostile client speaks it: raw sockets, slow senders, and the workers' memory."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from devtools.web_process import WebProcess


def request_head(
    port: int, method: str, path: str, headers: dict[str, str], length: int | None
) -> bytes:
    """An HTTP/1.1 request line and headers, ready to send before (some of) a body."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def read_status(sock: socket.socket) -> int:
    """The status code of the response arriving on sock (0 if it closed without one)."""
    received = b""
    while b"\r\n" not in received:
        chunk = sock.recv(4096)
        if not chunk:
            return 0
        received += chunk
    return int(received.split(b" ", 2)[1])


@dataclass
class SlowSenders:
    """Clients that send a request's headers and two bytes of its body, then nothing more."""

    port: int
    count: int
    length: int = 4000
    stop: threading.Event = field(default_factory=threading.Event)
    connected: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(0))
    connections: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self) -> None:
        """One sender: hold a half-sent request open; when the server drops it, start over."""
        head = request_head(
            self.port,
            "POST",
            "/slack/events",
            {"Content-Type": "application/x-www-form-urlencoded"},
            self.length,
        )
        while not self.stop.is_set():
            try:
                sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
                sock.sendall(head + b"pa")
            except OSError:
                continue  # refused or reset while connecting: try again until stopped
            with sock:
                with self._lock:
                    self.connections += 1
                self.connected.release()
                # A short receive timeout only to notice stop; the server closing ends the wait.
                sock.settimeout(0.2)
                while not self.stop.is_set():
                    try:
                        if not sock.recv(4096):
                            break
                    except TimeoutError:
                        continue
                    except OSError:
                        break


@contextmanager
def slow_senders(web: WebProcess, count: int) -> Iterator[SlowSenders]:
    """count slow senders on web, all connected before this yields; stopped on exit."""
    senders = SlowSenders(web.port, count)
    threads = [threading.Thread(target=senders.run, daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    try:
        for _ in range(count):
            assert senders.connected.acquire(timeout=10), "a slow sender could not connect"
        yield senders
    finally:
        senders.stop.set()
        for thread in threads:
            thread.join(timeout=5)


def worker_pids(web: WebProcess) -> list[int]:
    """The gunicorn workers' process ids."""
    assert web.process is not None
    children = Path(f"/proc/{web.process.pid}/task/{web.process.pid}/children")
    return [int(pid) for pid in children.read_text().split()]


def peak_rss_kib(pid: int) -> int:
    """VmHWM, the most memory pid has held at once, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key == "VmHWM":
            return int(rest.split()[0])
    raise LookupError(f"no VmHWM for {pid}")


def wait_for_log(web: WebProcess, text: str, timeout: float = 10.0) -> str:
    """The app's output once text appears in it (the line is written on another thread)."""
    deadline = time.monotonic() + timeout
    while True:
        output = web.output()
        if text in output:
            return output
        if time.monotonic() > deadline:
            raise AssertionError(f"{text!r} never appeared in the app's log:\n{output[-3000:]}")
        # Nothing but the log file announces the line: look again shortly.
        time.sleep(0.02)
