"""A TCP forwarder on loopback in front of PostgreSQL that a test can cut or freeze."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

from tests.support.world import POSTGRES_URL


class Proxy:
    """Forwards loopback connections; cut() drops them all, freeze() lets them hang."""

    def __init__(self, target: tuple[str, int]) -> None:
        self._target = target
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._listener: socket.socket | None = None
        # Cleared while frozen: connections are accepted and kept open, and nothing moves.
        self._flowing = threading.Event()
        self._flowing.set()
        self.port = 0

    def url_for(self, url: str) -> str:
        """url (a PostgreSQL URL without a password) pointed at this proxy."""
        parts = urlsplit(url)
        return parts._replace(netloc=f"{parts.username}@127.0.0.1:{self.port}").geturl()

    def start(self) -> None:
        """Listen (on the same port as before, after a cut)."""
        listener = socket.create_server(("127.0.0.1", self.port))
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def freeze(self) -> None:
        """Keep accepting connections but forward nothing: the database 'hangs'."""
        self._flowing.clear()

    def thaw(self) -> None:
        """Forward again."""
        self._flowing.set()

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

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                # Frozen: what arrived is held until thawed, as a stalled server would.
                self._flowing.wait()
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                sock.close()


@contextlib.contextmanager
def postgres_proxy() -> Iterator[Proxy]:
    """A Proxy in front of LENSPIN_TEST_DATABASE_URL's server, cut when the block ends."""
    target = urlsplit(POSTGRES_URL)
    proxy = Proxy((target.hostname or "127.0.0.1", target.port or 5432))
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.thaw()
        proxy.cut()
