"""Servers on loopback for a test's duration: a WSGI app (what reaches an app only over HTTP,
such as Slack's uninstall), and the base every such server shares."""

from __future__ import annotations

import threading
from socketserver import BaseServer, ThreadingMixIn
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

if TYPE_CHECKING:
    from collections.abc import Iterable
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment


class Served:
    """A server answering on its own thread while the context lasts."""

    def __init__(self, server: BaseServer) -> None:
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Keep request lines out of the test output."""


class WsgiApp(Served):
    """A WSGI app on loopback (this one, or one set before requests come).

    The port is bound first, so an app that needs its own URL (an OAuth redirect) can be built.
    """

    def __init__(self, app: WSGIApplication | None = None) -> None:
        self.app = app
        server = make_server(
            "127.0.0.1",
            0,
            self._serve,
            server_class=_ThreadingWSGIServer,
            handler_class=_QuietHandler,
        )
        self.url = f"http://127.0.0.1:{server.server_port}"
        super().__init__(server)

    def _serve(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if self.app is None:
            raise RuntimeError("WsgiApp: no app set")
        return self.app(environ, start_response)
