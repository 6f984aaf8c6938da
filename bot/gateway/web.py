"""The web widget's side of the gateway: the demo page, the widget's files and its JSON API.

POST /api/web/messages  {"session", "text"} or {"session", "payload", "text"} → {"messages"}
GET  /api/web/events?session=…&after=N  long poll for proactive messages → {"messages"}
Replies to a message carry "id": null; proactive ones an increasing id, the widget's cursor.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

from sanic import Blueprint, HTTPResponse, Request, response

from bot.gateway.core import Gateway
from bot.gateway.messages import BotMessage

WEB_ROOT = Path(__file__).resolve().parent.parent / "web"
FILES = {
    "/": ("demo.html", "text/html; charset=utf-8"),
    "/demo.html": ("demo.html", "text/html; charset=utf-8"),
    "/widget.js": ("widget.js", "text/javascript; charset=utf-8"),
    "/widget.css": ("widget.css", "text/css; charset=utf-8"),
}
SESSION = re.compile(r"[A-Za-z0-9_-]{16,128}")
MAX_TEXT = 2000
MAX_PAYLOAD = 500
LONG_POLL_S = 25.0


class BadRequest(ValueError):
    """The widget (or someone else) sent something we cannot use; the message says what."""


def blueprint(gateway: Gateway) -> Blueprint:
    """Routes for the widget, bound to one gateway."""
    bp = Blueprint("web")

    for path, (name, content_type) in FILES.items():
        route = "root" if path == "/" else name.replace(".", "_")
        bp.add_route(_file_handler(name, content_type), path, methods=["GET"], name=route)

    @bp.post("/api/web/messages")
    async def messages(request: Request) -> HTTPResponse:
        """A message from the widget; the bot's replies."""
        try:
            body = _json_object(request)
            session = _session(body.get("session"))
            text = _message(body)
        except BadRequest as error:
            return _error(str(error), 400)
        started = time.perf_counter()
        replies = await gateway.converse("web", session, text)
        answer = response.json({"messages": [_out(reply, None) for reply in replies]})
        gateway.timings.record("web", time.perf_counter() - started)
        return answer

    @bp.get("/api/web/events")
    async def events(request: Request) -> HTTPResponse:
        """Proactive messages newer than `after`, waiting up to 25 s for one to arrive."""
        try:
            session = _session(request.args.get("session"))
            after = _cursor(request.args.get("after", "0"))
        except BadRequest as error:
            return _error(str(error), 400)
        sender = gateway.sender_id("web", session)
        found = await gateway.wait_for_outbox(sender, after, LONG_POLL_S)
        return response.json(
            {"messages": [_out(BotMessage.from_json(item.message), item.id) for item in found]}
        )

    return bp


def _file_handler(name: str, content_type: str) -> Any:
    """A handler serving one file of bot/web (read per request: small, and edits show at once)."""

    async def serve(_request: Request) -> HTTPResponse:
        path = WEB_ROOT / name
        if not path.exists():
            return _error(f"{name} is missing from bot/web", 404)
        return response.raw(path.read_bytes(), content_type=content_type)

    serve.__name__ = f"serve_{name.replace('.', '_')}"
    return serve


def _json_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object."""
    try:
        body = json.loads(request.body or b"")
    except ValueError:
        raise BadRequest("the body must be JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


def _session(value: Any) -> str:
    """The widget's session id: 16-128 letters, digits, - or _."""
    if not isinstance(value, str) or not SESSION.fullmatch(value):
        raise BadRequest("session must be 16-128 letters, digits, '-' or '_'")
    return value


def _message(body: dict[str, Any]) -> str:
    """What goes to the assistant: the button's payload, else the typed text."""
    payload, text = body.get("payload"), body.get("text")
    if payload is not None:
        if not isinstance(payload, str) or not payload.startswith("/") or not payload.strip():
            raise BadRequest("payload must be a button payload starting with '/'")
        if len(payload) > MAX_PAYLOAD:
            raise BadRequest(f"payload is longer than {MAX_PAYLOAD} characters")
        return payload
    if not isinstance(text, str):
        raise BadRequest("text must be a string (or send a button's payload)")
    if len(text) > MAX_TEXT:
        raise BadRequest(f"text is longer than {MAX_TEXT} characters; please shorten it")
    return text.strip()  # a blank one too: the assistant answers "I didn't catch that"


def _cursor(value: str) -> int:
    """The id of the last proactive message the widget has."""
    if not value.isdigit():
        raise BadRequest("after must be a whole number (the last message id seen)")
    return int(value)


def _out(message: BotMessage, message_id: int | None) -> dict[str, Any]:
    """A message as the widget reads it."""
    return {"id": message_id, **message.as_json()}


def _error(message: str, status: int) -> HTTPResponse:
    """A JSON error the widget shows as is."""
    return response.json({"error": message}, status=status)
