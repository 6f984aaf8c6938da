"""The web widget's side of the gateway: the demo page, the widget's files and its JSON API.

POST /api/web/messages  {"text"}, {"payload", "text"} or {"location": {"latitude", "longitude"},
     "text"} (the browser's position, shared with consent: the assistant gets it as a Telegram
     pin, bot.gateway.pins), optionally "language_hint" (the browser's
     language), "message_id" and "retry" → {"messages"[, "language"][, "forgotten": true]}
GET  /api/web/events?after=N  long poll for proactive messages → {"messages"}; one queued while the
     chat was closed (a reminder) waits for the next poll (bot.gateway.records.OUTBOX_WAIT)
GET  /privacy[?lang=es]  the privacy notice, a plain page (else in the Accept-Language's language)
GET  /widget.js  the widget, with its interface's words in every language (locales/*/widget.yml)
GET  /web/plan.ics, /web/plan.html?token=…  the learner's plan as files (bot.gateway.plan_files):
     a reply asking for them carries "files": [{"format": "ics"|"html", "url"}] for the widget
The session id travels in the X-Wayfinder-Session header, never in a URL: URLs end up in proxy
logs and browser history, and the id opens the conversation. (A POST may still carry it as the
body's "session", as widgets before the header did.) Replies to a message carry "id": null;
proactive ones an increasing id, the widget's cursor. "language" is the conversation's language
after the turn (the learner's profile's, else the browser's when supported): the widget labels
itself in it. "forgotten" says "forget me" ran: the widget then wipes what it keeps and starts a
new session.
"message_id" (8-100 letters, digits, - or _; the widget makes one per message) is the message's
idempotency key: a try whose gateway died mid-request (the connection dropped, a 502/503) is sent
again with the same id and "retry": true, and the assistant then answers a message it already
handled with the replies it gave, instead of handling it twice. Without an id, as before.
Each client address may call /api/web/* WAYFINDER_WEB_RATE_PER_MINUTE times a minute (429 past it),
counted across every gateway when WAYFINDER_REDIS_URL is set.
"""

from __future__ import annotations

import html
import ipaddress
import json
import re
import time
from pathlib import Path
from typing import Any

from sanic import Blueprint, HTTPResponse, Request, response

from bot.api.errors import ApiError
from bot.gateway.core import FORGOTTEN, Gateway, language_hint
from bot.gateway.messages import BotMessage
from bot.gateway.pins import pin_of, share_location
from bot.gateway.plan_files import web_files
from bot.gateway.texts import language_of, privacy_sections, say
from knowledge.locales import SOURCE_LANGUAGE, book, supported, supported_codes

WEB_ROOT = Path(__file__).resolve().parent.parent / "web"
FILES = {
    "/": ("demo.html", "text/html; charset=utf-8"),
    "/demo.html": ("demo.html", "text/html; charset=utf-8"),
    "/widget.js": ("widget.js", "text/javascript; charset=utf-8"),
    "/widget.css": ("widget.css", "text/css; charset=utf-8"),
}
# Where widget.js takes its interface's words: the gateway puts every language's in its place.
STRINGS_MARK = "/* @wayfinder-strings */ {}"
WIDGET_BOOK = "widget"
SESSION = re.compile(r"[A-Za-z0-9_-]{16,128}")
SESSION_HEADER = "X-Wayfinder-Session"
MESSAGE_ID = re.compile(r"[A-Za-z0-9_-]{8,100}")  # "web-" + it is a message id Rasa takes
MAX_TEXT = 2000
MAX_PAYLOAD = 500
LONG_POLL_S = 25.0


class BadRequest(ValueError):
    """The widget (or someone else) sent something we cannot use; the message says what."""


def blueprint(gateway: Gateway) -> Blueprint:
    """Routes for the widget, bound to one gateway."""
    bp = Blueprint("web")
    # Counted once for every gateway when Redis is set (a client may reach any of them).
    buckets = gateway.shared.buckets("web_address", gateway.settings.web_rate_per_minute)

    async def throttle(request: Request) -> HTTPResponse | None:
        """A flood from one client (polls dropped at once, messages in a loop) is refused before
        it costs a database read or a call to Rasa; the widget backs off on the 429."""
        if not request.path.startswith("/api/web/"):
            return None
        try:
            await buckets.take(client_address(request))
        except ApiError as refused:  # the API's bucket speaks to API clients: say it our way
            wait = refused.headers.get("Retry-After", "60")
            # No database read for a flood: the browser's language, not the learner's profile.
            language = accepted_language(request.headers.get("Accept-Language"))
            body = {"error": say("web_too_many", language, seconds=wait)}
            return response.json(body, status=429, headers={"Retry-After": wait})
        return None

    bp.middleware(throttle, "request")  # runs for this blueprint's routes only

    for path, (name, content_type) in FILES.items():
        route = "root" if path == "/" else name.replace(".", "_")
        bp.add_route(_file_handler(name, content_type), path, methods=["GET"], name=route)

    @bp.post("/api/web/messages")
    async def messages(request: Request) -> HTTPResponse:
        """A message from the widget; the bot's replies."""
        try:
            body = _json_object(request)
            session = _session(request, body.get("session"))
            text = _message(body)
            message_id, retry = _message_key(body)
        except BadRequest as error:
            return _error(str(error), 400)
        hint = language_hint(body.get("language_hint"))  # anything but a short tag is dropped
        started = time.perf_counter()
        replies = await gateway.converse(
            "web", session, text, hint=hint, message_id=message_id, redelivered=retry
        )
        out: dict[str, Any] = {"messages": [_out(reply, None) for reply in replies]}
        for shown, reply in zip(out["messages"], replies, strict=True):
            files = web_files(gateway, session, reply)  # the plan's download links, if asked
            if files:
                shown["files"] = files
        language = await gateway.chat_language("web", session, hint)  # as the turn left it
        if language is not None:
            out["language"] = language
        if any(reply.custom.get(FORGOTTEN) for reply in replies):
            out["forgotten"] = True
        answer = response.json(out)
        gateway.timings.record("web", time.perf_counter() - started)
        return answer

    @bp.get("/api/web/events")
    async def events(request: Request) -> HTTPResponse:
        """Proactive messages newer than `after`, waiting up to 25 s for one to arrive."""
        try:
            if "session" in request.args:
                raise BadRequest(f"send the session in the {SESSION_HEADER} header, not the URL")
            session = _session(request)
            after = _cursor(request.args.get("after", "0"))
        except BadRequest as error:
            return _error(str(error), 400)
        sender = gateway.sender_id("web", session)
        found = await gateway.outbox.wait(sender, after, LONG_POLL_S)
        return response.json(
            {"messages": [_out(BotMessage.from_json(item.message), item.id) for item in found]}
        )

    @bp.get("/privacy")
    async def privacy(request: Request) -> HTTPResponse:
        """The privacy notice: what is kept, for how long, who sees it, how to erase it; in the
        language `lang` names, else the browser's."""
        language = supported(request.args.get("lang")) or accepted_language(
            request.headers.get("Accept-Language")
        )
        page = privacy_page(gateway.settings.retention_days, language)
        return response.html(page, headers={"Vary": "Accept-Language"})

    return bp


# The notice's page: readable without the widget, script or any outside file.
PAGE = """<!doctype html>
<html lang="{language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font: 1.0625rem/1.6 system-ui, sans-serif; color: #1a1a1a; background: #fff;
  max-width: 40rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }}
h1 {{ font-size: 1.6rem; line-height: 1.25; }}
h2 {{ font-size: 1.2rem; margin-top: 2rem; }}
li {{ margin: 0.4rem 0; }}
</style>
</head>
<body>
<main>
{body}
</main>
</body>
</html>
"""


def privacy_page(retention_days: int, language: str | None = None) -> str:
    """The notice as a plain, self-contained page (no script, no outside resources)."""
    title = html.escape(say("privacy_title", language))
    body = [f"<h1>{title}</h1>", f"<p>{html.escape(say('privacy_intro', language))}</p>"]
    for heading, lines in privacy_sections(retention_days, language):
        body.append(f"<h2>{html.escape(heading)}</h2>")
        items: list[str] = []
        for line in [*lines, ""]:  # the empty line closes a list at the end
            if line.startswith("- "):
                items.append(f"<li>{html.escape(line[2:])}</li>")
                continue
            if items:
                body.append("<ul>" + "".join(items) + "</ul>")
                items = []
            if line:
                body.append(f"<p>{html.escape(line)}</p>")
    return PAGE.format(language=language_of(language), title=title, body="\n".join(body))


def accepted_language(header: str | None) -> str | None:
    """The supported language a browser's Accept-Language prefers most ('es-MX,es;q=0.9,en;q=0.8'
    → 'es'), or None."""
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate((header or "").split(",")[:20]):
        tag, _, weight = item.strip().partition(";")
        try:
            quality = float(weight.strip().removeprefix("q=")) if weight else 1.0
        except ValueError:
            continue
        code = supported(tag.strip())
        if code is not None and quality > 0:
            ranked.append((-quality, position, code))
    return min(ranked)[2] if ranked else None


def widget_strings() -> dict[str, dict[str, str]]:
    """The widget's interface words by language, each complete (English where one lacks a text)."""
    source = {str(key): str(value) for key, value in book(SOURCE_LANGUAGE, WIDGET_BOOK).items()}
    return {
        code: source | {str(k): str(v) for k, v in book(code, WIDGET_BOOK).items()}
        for code in supported_codes()
    }


def widget_script(source: bytes) -> bytes:
    """widget.js with its interface's words in place (ASCII JSON: safe in any script)."""
    strings = json.dumps(widget_strings(), ensure_ascii=True, sort_keys=True)
    return source.replace(STRINGS_MARK.encode(), strings.encode(), 1)


def _file_handler(name: str, content_type: str) -> Any:
    """A handler serving one file of bot/web (read per request: small, and edits show at once)."""

    async def serve(_request: Request) -> HTTPResponse:
        path = WEB_ROOT / name
        if not path.exists():
            return _error(f"{name} is missing from bot/web", 404)
        body = path.read_bytes()
        if name == "widget.js":
            body = widget_script(body)
        return response.raw(body, content_type=content_type)

    serve.__name__ = f"serve_{name.replace('.', '_')}"
    return serve


def client_address(request: Request) -> str:
    """Who is calling, for rate limits: the proxy's forwarded address when Sanic is configured to
    trust one (REAL_IP_HEADER, PROXIES_COUNT), else the peer; IPv6 by its /64, which one home or
    one attacker holds whole."""
    address = (request.remote_addr or request.ip).strip("[]")
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:  # a Unix socket or an obfuscated forwarded name: keyed as given
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:  # ::ffff:203.0.113.5 is 203.0.113.5
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def load_json(raw: bytes | None) -> Any:
    """A request body as JSON; nesting too deep for Python's parser is the sender's fault (400),
    not a crash of ours (500 and a traceback in the log per request)."""
    try:
        return json.loads(raw or b"")
    except RecursionError:
        raise BadRequest("the body is JSON nested too deeply; send a flat JSON object") from None
    except ValueError:
        raise BadRequest("the body must be JSON") from None


def _json_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object."""
    body = load_json(request.body)
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


def _session(request: Request, in_body: Any = None) -> str:
    """The widget's session id, from its header (or an older widget's body): 16-128 letters,
    digits, - or _."""
    value = request.headers.get(SESSION_HEADER, in_body)
    if in_body is not None and value != in_body:
        raise BadRequest(f"the {SESSION_HEADER} header and the body name different sessions")
    if not isinstance(value, str) or not SESSION.fullmatch(value):
        raise BadRequest(f"the session ({SESSION_HEADER}) must be 16-128 letters, digits, - or _")
    return value


def _message(body: dict[str, Any]) -> str:
    """What goes to the assistant: a shared location, the button's payload, else the typed
    text."""
    payload, text = body.get("payload"), body.get("text")
    if body.get("location") is not None:  # "Share my location": as Telegram's pin
        try:
            return share_location(*pin_of(body["location"]))
        except ValueError as error:
            raise BadRequest(str(error)) from None
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


def _message_key(body: dict[str, Any]) -> tuple[str | None, bool]:
    """The message's stable id for the assistant ("web-" + the widget's), and whether this try
    repeats one that may have reached it."""
    given, retry = body.get("message_id"), body.get("retry", False)
    if not isinstance(retry, bool):
        raise BadRequest("retry must be true or false")
    if given is None:
        if retry:
            raise BadRequest("retry needs the message_id of the message it sends again")
        return None, False
    if not isinstance(given, str) or not MESSAGE_ID.fullmatch(given):
        raise BadRequest("message_id must be 8-100 letters, digits, - or _")
    return f"web-{given}", retry


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
