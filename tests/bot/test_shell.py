"""The terminal chat: reply parsing, button taps, sender persistence, a real local HTTP server."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from bot.shell import Turn, chat, parse_reply, render, resolve_input, send, sender_id


def test_parse_reply_keeps_texts_and_buttons_in_order() -> None:
    turn = parse_reply(
        [
            {"recipient_id": "a", "text": "Here are 2:"},
            {"text": "Want more?", "buttons": [{"title": "Show more", "payload": "/more_results"}]},
        ]
    )
    assert turn.texts == ["Here are 2:", "Want more?"]
    assert turn.buttons == [("Show more", "/more_results")]
    assert render(turn) == "Here are 2:\nWant more?\n  [#1] Show more"


def test_render_says_when_nothing_came_back() -> None:
    assert render(Turn()) == "(no reply)"


@pytest.mark.parametrize(
    ("line", "expected"),
    [("#2", '/opportunity_details{"ordinal":"2"}'), ("#3", "#3"), ("#x", "#x"), (" hi ", "hi")],
)
def test_resolve_input_taps_only_existing_buttons(line: str, expected: str) -> None:
    last = Turn(buttons=[("1", "/a"), ("2", '/opportunity_details{"ordinal":"2"}')])
    assert resolve_input(line, last) == expected


def test_sender_id_is_created_once_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "var" / "shell-sender"
    first = sender_id(path)
    assert first.startswith("shell-") and len(first) > 10
    assert sender_id(path) == first


class _Echo(BaseHTTPRequestHandler):
    """A stand-in for Rasa's REST channel: echoes the message back with one button."""

    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Echo.received.append(body)
        reply = [{"recipient_id": body["sender"], "text": f"echo {body['message']}",
                  "buttons": [{"title": "again", "payload": "/greet"}]}]  # fmt: skip
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        """Keep test output clean."""


@pytest.fixture
def rasa_url() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Echo.received.clear()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_chat_over_http_taps_buttons_and_stops_at_quit(rasa_url: str) -> None:
    out = io.StringIO()
    status = chat(rasa_url, "shell-t", ["hello\n", "#1\n", "/quit\n", "never sent\n"], out, send)
    assert status == 0
    assert [body["message"] for body in _Echo.received] == ["hello", "/greet"]
    assert {body["sender"] for body in _Echo.received} == {"shell-t"}
    assert "echo hello\n  [#1] again" in out.getvalue()


def test_chat_says_how_to_start_the_assistant_when_it_is_down() -> None:
    out = io.StringIO()
    assert chat("http://127.0.0.1:9", "s", ["hi\n"], out, send) == 1
    assert "make run" in out.getvalue()
