"""FakeRescue: LogMeIn Rescue's API.asmx on loopback, scriptable request by request."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable

from devtools.fake_rescue.faults import Answer, Behaviour, Result, render
from devtools.fake_rescue.operations import Directory
from devtools.fake_rescue.server import ENDPOINT_PATH, RescueCall, RescueServer, RescueServer6
from devtools.fake_rescue.sessions import GET_SESSION, Queues
from devtools.fake_rescue.soap import Inspection

# How long stop() waits for handler threads before giving up on them (they are daemons).
_STOP_JOIN_SECONDS = 3.0


class FakeRescue:
    """LogMeIn Rescue's API.asmx on loopback, scriptable request by request."""

    def __init__(
        self,
        *,
        auth_codes: Iterable[str] = ("test-auth-code",),
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limit: float | None = 1.0,
        pins: Iterable[str] | None = None,
        sso_own_names: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Make a fake (start() serves it); clock times the sessions getSession_V3 lists.

        Pass a ManualClock as clock to move the queues' time on without waiting.
        """
        self._host = host
        self._port = port
        self._lock = threading.Lock()
        self._calls_changed = threading.Condition(self._lock)
        self._calls: list[RescueCall] = []
        self._queue: deque[Behaviour] = deque()
        self._default: Behaviour = Result()
        # getSession_V3's queues: scripted per node, read on clock (fake.sessions.on_pin...).
        self.sessions = Queues(clock)
        self._directory = Directory(rate_limit=rate_limit, pins=pins, queues=self.sessions)
        self._server: RescueServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._connections: dict[int, tuple[socket.socket, threading.Thread]] = {}
        self._next_connection_id = 1
        self._sso_own_names = sso_own_names
        self._directory.set_sso_own_names(sso_own_names)
        for code in auth_codes:
            self.add_auth_code(code)

    # Lifecycle

    @property
    def url(self) -> str:
        """The endpoint URL, e.g. http://127.0.0.1:8081/API/API.asmx (after start())."""
        server = self._server
        if server is None:
            raise RuntimeError("FakeRescue is not running: call start() first")
        host, port = str(server.server_address[0]), server.server_address[1]
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}{ENDPOINT_PATH}"

    def start(self) -> FakeRescue:
        """Bind and serve in a background thread; returns self."""
        if self._server is not None:
            raise RuntimeError("FakeRescue is already running")
        self._stopping.clear()
        server_class = RescueServer6 if ":" in self._host else RescueServer
        server = server_class((self._host, self._port), self)
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},  # so stop() returns promptly
            name=f"fake-rescue:{server.server_address[1]}",
            daemon=True,
        )
        self._server, self._thread = server, thread
        thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, cut every connection (Hang, Delay and Drip included) and join."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        with self._lock:
            # Under the lock so a connection accepted right now either registers before the
            # cut below or sees the flag in _open_connection and closes itself.
            self._stopping.set()
            connections = list(self._connections.values())
        closer = threading.Thread(target=server.shutdown, name="fake-rescue-stop", daemon=True)
        closer.start()
        # serve_forever only looks at the shutdown flag when select() returns; a connection
        # makes it return now instead of at the end of the poll interval.
        host, port = server.server_address[:2]
        with contextlib.suppress(OSError):
            socket.create_connection((str(host), port), timeout=0.5).close()
        closer.join(_STOP_JOIN_SECONDS)
        server.server_close()
        for sock, _ in connections:
            with contextlib.suppress(OSError):  # already closed by its handler
                sock.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + _STOP_JOIN_SECONDS
        for _, handler_thread in connections:
            handler_thread.join(max(0.0, deadline - time.monotonic()))
        thread.join(max(0.0, deadline - time.monotonic()))
        self._server = self._thread = None

    def __enter__(self) -> FakeRescue:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # Scripting

    def queue(self, *behaviours: Behaviour) -> None:
        """Answer the next well-formed requests with these behaviours, in order, once each."""
        with self._lock:
            self._queue.extend(behaviours)

    def set_default(self, behaviour: Behaviour) -> None:
        """Answer with this once the queue is empty (initially Result(): Rescue's logic)."""
        with self._lock:
            self._default = behaviour

    def set_console_running(self, auth_code: str, running: bool) -> None:
        """Say whether the Technician Console of this code's user is running (default True)."""
        self._directory.set_console_running(auth_code, running)

    def add_auth_code(self, code: str) -> None:
        """Make a code valid, as if its technician had requested it."""
        self._directory.add_auth_code(code)

    def tech_id(self, auth_code: str) -> int:
        """The node getSession_V3 takes for this code's technician (getAccount_v2's iTechID)."""
        return self._directory.tech_id(auth_code)

    def add_account(self, email: str, password: str) -> None:
        """Create a Rescue login that requestAuthCode accepts."""
        self._directory.add_account(email, password)

    def enable_sso(self, company_id: str, password: str, sso_ids: Iterable[str]) -> None:
        """Let requestAuthCodeSSO issue codes for these SSO ids of this company."""
        self._directory.enable_sso(company_id, password, sso_ids)

    def set_sso_own_names(self, own: bool) -> None:
        """Spell requestAuthCodeSSO's results requestAuthCodeSSO_* (True) or requestAuthCode_*."""
        self._directory.set_sso_own_names(own)

    def reset(self) -> None:
        """Forget calls, behaviours, rate-limit state and every queue's sessions and scripts.

        Every Technician Console runs again; requestAuthCodeSSO's results go back to the
        spelling the constructor chose. The clock is left as it is.
        """
        with self._lock:
            self._calls.clear()
            self._queue.clear()
            self._default = Result()
        self.sessions.reset()
        self._directory.reset()
        self._directory.set_sso_own_names(self._sso_own_names)

    # Inspection

    @property
    def calls(self) -> list[RescueCall]:
        """A snapshot of the requests received so far, oldest first."""
        with self._lock:
            return list(self._calls)

    def wait_for_calls(self, n: int, timeout: float = 5.0) -> list[RescueCall]:
        """Block until at least n requests were received; AssertionError on timeout."""
        with self._calls_changed:
            if not self._calls_changed.wait_for(lambda: len(self._calls) >= n, timeout):
                seen = [call.operation or "<unreadable>" for call in self._calls]
                raise AssertionError(
                    f"FakeRescue expected at least {n} call(s) within {timeout}s "
                    f"but received {len(seen)}: {seen}"
                )
            return list(self._calls)

    # Used by the request handler

    def _open_connection(self, sock: socket.socket) -> int | None:
        with self._lock:
            if self._stopping.is_set():
                return None
            connection_id = self._next_connection_id
            self._next_connection_id += 1
            self._connections[connection_id] = (sock, threading.current_thread())
            return connection_id

    def _close_connection(self, connection_id: int) -> None:
        with self._lock:
            self._connections.pop(connection_id, None)

    def _record(self, call: RescueCall) -> None:
        with self._calls_changed:
            self._calls.append(call)
            self._calls_changed.notify_all()

    def _next_behaviour(self, inspection: Inspection, received_at: float) -> Behaviour:
        if inspection.operation == GET_SESSION:
            # A node's own script comes first; without one, the shared queue as for any call.
            scripted = self.sessions.polled(inspection.fields, received_at)
            if scripted is not None:
                return scripted
        with self._lock:
            return self._queue.popleft() if self._queue else self._default

    def _render(self, behaviour: Behaviour, inspection: Inspection, received_at: float) -> Answer:
        return render(behaviour, inspection, received_at, self._directory)
