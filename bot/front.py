"""gunicorn's gthread worker, except that a request reaches a thread only once it is all in."""

from __future__ import annotations

import mmap
import os
import selectors
import socket
import sys
import time
from dataclasses import dataclass, field
from functools import partial
from http import HTTPStatus
from typing import Any

from gunicorn.arbiter import Arbiter
from gunicorn.http.parser import RequestParser
from gunicorn.workers.gthread import TConn, ThreadWorker

from bot.config import DatabaseAway, StartRefused
from bot.connect import CONNECT_PATH
from bot.edge import BODY_CAP, log_refusal
from bot.page.render import Pages

# Slack sends a whole request at once; one still arriving after this is stalling on purpose.
REQUEST_DEADLINE = 5.0
# The request line and headers: Slack's are under 2 kB.
HEAD_CAP = 32 * 1024
# A refused request's answer is followed by a short drain of what it still sends, so closing
# the socket does not reset the connection before the client has read the answer.
LINGER_SECONDS = 1.0
LINGER_BYTES = 1024 * 1024
RECV_SIZE = 64 * 1024
# How long a worker that refused to start waits for the arbiter to stop it (see load_wsgi).
STOP_WAIT = 10.0
# How often a worker whose database is away tries to start again, while another one serves.
RETRY_EVERY = 1.0
WORKER_WAITS = (
    f"A new lenspin worker cannot use the database yet; it tries again every {RETRY_EVERY:g} s "
    "while the others serve."
)
WORKER_SERVES = "The database answers again: the new lenspin worker serves."


class FirstSay:
    """One token in a pipe the master makes: the worker that takes it is the one that speaks.

    Every worker of a web process that cannot start (say, an unmigrated database) finds the
    same problem at about the same time; the admin should read it once.
    """

    def __init__(self) -> None:
        self._read, write = os.pipe()
        os.write(write, b"!")
        os.close(write)
        os.set_blocking(self._read, False)

    def take(self) -> bool:
        """True for the first caller in any process forked after this was made."""
        try:
            return os.read(self._read, 1) == b"!"
        except BlockingIOError:
            return False

    def spoken(self) -> bool:
        """Whether some process took the token (this takes it if none had: ask once, at exit)."""
        return not self.take()


class Served:
    """One byte shared by every process forked after this was made: has any worker served?"""

    def __init__(self) -> None:
        # An anonymous mapping is shared, not copied, across fork.
        self._byte = mmap.mmap(-1, 1)

    def mark(self) -> None:
        """Say that a worker has started serving."""
        self._byte[0] = 1

    def __bool__(self) -> bool:
        return self._byte[0] == 1


@dataclass(eq=False)
class Arrival:
    """A connection whose request is still arriving (or whose refusal is lingering)."""

    conn: TConn
    data: bytearray
    deadline: float
    method: str = "?"
    path: str = "?"
    length: int | str = "?"
    needed: int | None = None
    refused: bool = False
    drained: int = 0
    registered: bool = field(default=False)


class GatheringWorker(ThreadWorker):
    """Reads each request whole on the event loop, so a slow sender never holds a thread.

    gthread hands a connection to a thread as soon as its first bytes arrive, and the thread
    then blocks until the body is in: 16 senders that stall mid-body held every thread. Here
    the main loop collects the request line, headers and body without blocking, refuses a body
    over BODY_CAP before reading it, and drops a request not in after REQUEST_DEADLINE.
    """

    # Made in the master, where gunicorn builds each worker before forking it.
    refusals: FirstSay | None = None
    served: Served | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if GatheringWorker.refusals is None:
            GatheringWorker.refusals = FirstSay()
        if GatheringWorker.served is None:
            GatheringWorker.served = Served()
        self.arrivals: dict[TConn, Arrival] = {}
        # Whole requests waiting for a thread; the thread hands them to gunicorn's parser.
        self.arrived: dict[TConn, bytes] = {}
        self._page_answers: Pages | None = None

    def _pages(self) -> Pages:
        """The connect page's answers, built at the first refusal under /connect/."""
        if self._page_answers is None:
            self._page_answers = Pages()
        return self._page_answers

    def load_wsgi(self) -> None:
        """Build the app; if it refuses to start, say why once and stop the whole server.

        The master checks nothing itself, so that it never loads the database stack: the
        workers, which need it anyway, check the schema and the key as they build the app.
        A worker started while the server already serves (a restart, a second worker still
        booting) whose database is away waits for it instead: another worker is answering.
        """
        waiting = False
        while True:
            try:
                super().load_wsgi()
            except DatabaseAway as away:
                if not self.served:
                    self._refuse_start(away)
                if not waiting:
                    print(WORKER_WAITS, file=sys.stderr, flush=True)
                    waiting = True
                # The arbiter stops a worker that stays silent past gunicorn's timeout.
                self.notify()
                time.sleep(RETRY_EVERY)
                if not self.alive:  # told to stop while waiting: nothing to settle yet
                    sys.exit(0)
            except StartRefused as refusal:
                self._refuse_start(refusal)
            else:
                if waiting:
                    print(WORKER_SERVES, file=sys.stderr, flush=True)
                if self.served is not None:
                    self.served.mark()
                return

    def _refuse_start(self, refusal: StartRefused) -> None:
        """Say why once (the first worker to refuse) and make the arbiter stop the server."""
        if self.refusals is None or self.refusals.take():
            print(refusal, file=sys.stderr, flush=True)
            # The arbiter stops the server, not just this worker, on a worker's boot error.
            sys.exit(Arbiter.WORKER_BOOT_ERROR)
        # Another worker has said it and is stopping the server. A second boot error,
        # reaped while the arbiter stops, would make it raise again (a traceback): this
        # one waits for the arbiter's SIGTERM and leaves quietly.
        deadline = time.monotonic() + STOP_WAIT
        while self.alive and time.monotonic() < deadline:
            time.sleep(0.05)
        sys.exit(0 if not self.alive else Arbiter.WORKER_BOOT_ERROR)

    def enqueue_req(self, conn: TConn) -> None:
        """Collect the request on the event loop first; queue it for a thread once whole."""
        if conn in self.arrived or self.cfg.is_ssl:
            super().enqueue_req(conn)
            return
        parser = conn.parser
        held = parser.unreader.take_buffered() if isinstance(parser, RequestParser) else b""
        conn.sock.setblocking(False)
        arrival = Arrival(conn, bytearray(held), time.monotonic() + REQUEST_DEADLINE)
        self.arrivals[conn] = arrival
        self._examine(arrival)
        if conn in self.arrivals:
            self._watch(arrival)

    def handle(self, conn: TConn) -> bool:
        """On a thread: give gunicorn's parser the request collected for it, then serve it."""
        whole = self.arrived.pop(conn, None)
        if whole is not None:
            conn.sock.setblocking(True)
            conn.init()
            if isinstance(conn.parser, RequestParser):
                conn.parser.unreader.unread(whole)
        return super().handle(conn)

    def murder_pending(self) -> None:
        """Besides gthread's own, answer stalled requests 408 and end finished lingers."""
        super().murder_pending()
        now = time.monotonic()
        for arrival in [a for a in self.arrivals.values() if a.deadline <= now]:
            if arrival.refused:
                self._close(arrival)
            else:
                reason = f"request not complete within {REQUEST_DEADLINE:g} s"
                self._refuse(arrival, 408, reason)

    def _watch(self, arrival: Arrival) -> None:
        if not arrival.registered:
            callback = partial(self._on_readable, arrival)
            self.poller.register(arrival.conn.sock, selectors.EVENT_READ, callback)
            arrival.registered = True

    def _on_readable(self, arrival: Arrival, _sock: object) -> None:
        try:
            chunk = arrival.conn.sock.recv(RECV_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            chunk = b""
        if arrival.refused:
            arrival.drained += len(chunk)
            if not chunk or arrival.drained > LINGER_BYTES:
                self._close(arrival)
            return
        if not chunk:  # the client left before its request was complete
            self._close(arrival)
            return
        arrival.data += chunk
        self._examine(arrival)

    def _examine(self, arrival: Arrival) -> None:
        if arrival.needed is None:
            end = arrival.data.find(b"\r\n\r\n")
            if end < 0:
                if len(arrival.data) > HEAD_CAP:
                    self._refuse(arrival, 431, f"request head over {HEAD_CAP} bytes")
                return
            problem = self._read_head(arrival, bytes(arrival.data[:end]))
            if problem is not None:
                self._refuse(arrival, *problem)
                return
            arrival.needed = end + 4 + int(arrival.length)
        if len(arrival.data) >= arrival.needed:
            self._hand_over(arrival)

    def _read_head(self, arrival: Arrival, head: bytes) -> tuple[int, str] | None:
        """Note the method, path and length; why the request is refused now, or None."""
        request_line, *header_lines = head.decode("latin-1").split("\r\n")
        parts = request_line.split(" ")
        arrival.method = parts[0]
        arrival.path = parts[1].split("?", 1)[0] if len(parts) > 1 else "?"
        lengths, chunked, expects = set(), False, False
        for line in header_lines:
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "content-length":
                lengths.add(value)
            chunked |= name == "transfer-encoding"
            expects |= name == "expect" and value.lower() == "100-continue"
        if chunked:
            return 411, "chunked bodies are not accepted"
        if len(lengths) > 1 or not all(v.isascii() and v.isdigit() for v in lengths):
            return 400, "Content-Length is not one number"
        arrival.length = int(lengths.pop()) if lengths else 0
        if arrival.length > BODY_CAP:
            return 413, f"body over the {BODY_CAP}-byte cap"
        if expects and len(arrival.data) < len(head) + 4 + arrival.length:
            self._send(arrival, b"HTTP/1.1 100 Continue\r\n\r\n")
        return None

    def _hand_over(self, arrival: Arrival) -> None:
        self._forget(arrival)
        self.arrived[arrival.conn] = bytes(arrival.data)
        arrival.conn.data_ready = True
        super().enqueue_req(arrival.conn)

    def _refuse(self, arrival: Arrival, status: int, reason: str) -> None:
        log_refusal(arrival.method, arrival.path, arrival.length, status, reason)
        if arrival.path.startswith(CONNECT_PATH):
            # A person's browser: the page's own answer, with the headers every page carries.
            status_line, headers, body = self._pages().refusal(status)
        else:
            status_line = f"{status} {HTTPStatus(status).phrase}"
            headers, body = [("Content-Type", "text/plain; charset=utf-8")], reason.encode()
            headers.append(("Content-Length", str(len(body))))
        lines = "".join(f"{name}: {value}\r\n" for name, value in headers)
        head = f"HTTP/1.1 {status_line}\r\n{lines}Connection: close\r\n\r\n"
        if not self._send(arrival, head.encode() + body):
            self._close(arrival)
            return
        try:
            arrival.conn.sock.shutdown(socket.SHUT_WR)
        except OSError:
            self._close(arrival)
            return
        arrival.refused, arrival.data = True, bytearray()
        arrival.deadline = time.monotonic() + LINGER_SECONDS
        self._watch(arrival)

    @staticmethod
    def _send(arrival: Arrival, data: bytes) -> bool:
        """Send a short answer without blocking: it fits in an empty socket buffer."""
        try:
            return arrival.conn.sock.send(data) == len(data)
        except OSError:
            return False

    def _forget(self, arrival: Arrival) -> None:
        self.arrivals.pop(arrival.conn, None)
        if arrival.registered:
            self.poller.unregister(arrival.conn.sock)
            arrival.registered = False

    def _close(self, arrival: Arrival) -> None:
        self._forget(arrival)
        self.nr_conns -= 1
        arrival.conn.close()
