"""The database briefly unreachable: the technician is told plainly, and lenspin recovers."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from bot import texts
from tests.support import (
    AUTH_CODE,
    POSTGRES_URL,
    FakeRescue,
    FakeSlack,
    WebProcess,
    app_env,
    fresh_database,
    open_pin_modal,
    submit_pin_modal,
)

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="LENSPIN_TEST_DATABASE_URL is not set")


class Proxy:
    """A TCP forwarder on loopback that can drop every connection and refuse new ones."""

    def __init__(self, target: tuple[str, int]) -> None:
        self._target = target
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._listener: socket.socket | None = None
        self.port = 0

    def start(self) -> None:
        """Listen (on the same port as before, after a cut)."""
        listener = socket.create_server(("127.0.0.1", self.port))
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        """Drop every connection and stop listening: the database is 'down'."""
        with self._lock:
            if self._listener is not None:
                # As below: shutdown() wakes the thread blocked in accept(), so it stops.
                with contextlib.suppress(OSError):
                    self._listener.shutdown(socket.SHUT_RDWR)
                self._listener.close()
                self._listener = None
            for sock in self._sockets:
                # shutdown() first: close() alone leaves a socket open while a thread is
                # still blocked reading it.
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self._target)
            with self._lock:
                self._sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                sock.close()


@pytest.fixture
def proxy() -> Iterator[Proxy]:
    target = urlsplit(POSTGRES_URL)
    proxy = Proxy((target.hostname or "127.0.0.1", target.port or 5432))
    proxy.start()
    yield proxy
    proxy.cut()


def test_a_database_outage_gets_a_plain_answer_and_lenspin_recovers(proxy: Proxy) -> None:
    direct = fresh_database("postgresql")
    parts = urlsplit(direct)
    through_proxy = parts._replace(netloc=f"{parts.username}@127.0.0.1:{proxy.port}").geturl()
    users = ["U0DBDOWN01", "U0DBDOWN02", "U0DBDOWN03"]
    with FakeSlack() as slack, FakeRescue(auth_codes=(AUTH_CODE,), rate_limit=None) as rescue:
        env = app_env(slack, rescue, DATABASE_URL=through_proxy, LENSPIN_ALLOWED_USERS="*")
        with WebProcess(env) as web:

            def ask(user: str) -> str:
                opened = open_pin_modal(slack, web.events_url, user_id=user, text=user)
                submit_pin_modal(slack, web.events_url, opened, user_id=user, values={})
                return slack.wait_for_message(user, timeout=20)["text"]

            assert "Rescue Lens PIN" in ask(users[0])
            proxy.cut()
            during = ask(users[1])
            assert texts.UNEXPECTED in during
            assert "Traceback" not in during
            assert rescue.calls[-1].fields["sCField0"] == users[0]  # nothing sent while down
            proxy.start()
            assert "Rescue Lens PIN" in ask(users[2])
