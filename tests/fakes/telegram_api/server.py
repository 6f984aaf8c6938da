"""The HTTP server: routes /bot<token>/<method> and /file/bot<token>/<path> to the API state."""

from __future__ import annotations

import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast
from urllib.parse import unquote, urlsplit

from tests.fakes.telegram_api.state import BotApiState
from tests.fakes.telegram_api.wire import Reply, decode_params, error_payload, json_reply


class Server(ThreadingHTTPServer):
    """A threading server that can cut its keep-alive connections when the fake closes."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, api: BotApiState) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.api = api
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        self._answering = 0  # requests read and not yet answered
        self._answered = threading.Condition()

    @contextmanager
    def answering(self) -> Iterator[None]:
        """Counts a request from reading it to writing its answer (see wait_until_answered)."""
        with self._answered:
            self._answering += 1
        try:
            yield
        finally:
            with self._answered:
                self._answering -= 1
                self._answered.notify_all()

    def wait_until_answered(self, timeout_s: float) -> None:
        """Lets requests being handled (long polls the close just ended) write their answers
        before the connections are cut."""
        with self._answered:
            self._answered.wait_for(lambda: self._answering == 0, timeout=timeout_s)

    def cut_connections(self) -> None:
        """Unblocks handler threads waiting on idle keep-alive connections."""
        with self.connections_lock:
            connections = list(self.connections)
        for connection in connections:
            with suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up on a long poll are normal here; anything else is still shown."""
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    """Routes /bot<token>/<method> to the fake and /file/bot<token>/<path> to its files."""

    protocol_version = "HTTP/1.1"

    @property
    def _server(self) -> Server:
        return cast(Server, self.server)

    def setup(self) -> None:
        super().setup()
        # Headers and body go out as two writes: without TCP_NODELAY, Nagle's algorithm and the
        # client's delayed ACK hold the second for ~40 ms on every kept-alive request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._server.connections_lock:
            self._server.connections.add(self.connection)

    def finish(self) -> None:
        with self._server.connections_lock:
            self._server.connections.discard(self.connection)
        with suppress(OSError):
            super().finish()

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the fake records calls itself, and stderr noise hides test failures."""

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass
            return b"".join(chunks)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _serve(self) -> None:
        with self._server.answering():
            self._answer()

    def _answer(self) -> None:
        body = self._read_body()
        url = urlsplit(self.path)
        path = unquote(url.path)
        reply: Reply | None
        if path.startswith("/file/bot"):
            _token, _, file_path = path.removeprefix("/file/bot").partition("/")
            reply = self._server.api.file_reply(file_path)
        elif path.startswith("/bot") and "/" in path[4:]:
            token, _, method = path.removeprefix("/bot").partition("/")
            try:
                params = decode_params(self.headers.get("Content-Type", ""), body, url.query)
            except ValueError as error:
                reply = json_reply(400, error_payload(400, f"Bad Request: {error}"))
            else:
                reply = self._server.api.handle(token, method, params)
        else:
            reply = json_reply(404, error_payload(404, "Not Found"))
        if reply is None:
            self.close_connection = True
            return
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
        except OSError:
            self.close_connection = True
