"""A local fake of the Telegram Bot API, so bot tests run end to end with no network or token.

Point python-telegram-bot (PTB) at it and play the user::

    with FakeBotApi() as fake:
        app = Application.builder().token(TOKEN).base_url(fake.base_url).build()
        ...                                   # add handlers, start polling
        fake.push_text(42, "hi")              # a learner writes to the bot
        call = fake.wait_for("sendMessage", lambda p: p["chat_id"] == 42)

How PTB 22 talks to the Bot API (telegram/request/_httpxrequest.py, _requestparameter.py and
_requestdata.py): every method is an HTTP POST to ``{base_url}{token}/{method}``. Parameters are
``application/x-www-form-urlencoded`` fields, or ``multipart/form-data`` parts when a file is
uploaded. String values go as they are; every other value (ints, booleans, reply_markup and other
objects, lists) is JSON-encoded, so ``chat_id=42&text=hi&reply_markup={"inline_keyboard": ...}``.
Like the real server the fake also takes ``application/json`` bodies and query strings, and it
decodes every one of them into the same Python dict.

The fake behaves like Telegram where tests tend to find bugs: updates are kept until getUpdates
confirms them with ``offset``; a newer getUpdates ends an older one with 409 Conflict; HTML and
MarkdownV2 text is checked ("can't parse entities"); callback_data over 64 bytes is refused;
editing text without reply_markup removes the inline keyboard; unchanged edits are refused.

What PTB 22.8 does with injected failures (telegram/request/_baserequest.py and
telegram/ext/_utils/networkloop.py): a 429 with ``parameters.retry_after`` raises
``telegram.error.RetryAfter`` from that very call. Neither a plain ``Bot`` nor a handler's call
retries (only ``AIORateLimiter``, from the uninstalled ``[rate-limiter]`` extra, would); the
Updater's polling loop sleeps ``retry_after + 0.5`` s and polls again. Reading
``RetryAfter.retry_after`` warns unless ``PTB_TIMEDELTA=true``. A 502 and a dropped connection
both raise ``telegram.error.NetworkError``; 401 raises ``InvalidToken``, 403 ``Forbidden``,
409 ``Conflict``, 400 ``BadRequest`` (whose message PTB strips of "Bad Request: " and
capitalises, so match it case-insensitively).

In async tests use ``await fake.wait_for_async(...)``: ``wait_for`` blocks the event loop the
bot runs on.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import logging
import re
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from html.parser import HTMLParser
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, NamedTuple, cast
from urllib.parse import parse_qsl, unquote, urlsplit

_LOGGER = logging.getLogger(__name__)

JSONDict = dict[str, Any]

BOT_ID = 123456789
BOT_USERNAME = "wayfinder_test_bot"
TOKEN = f"{BOT_ID}:TEST-token-for-the-fake-bot-api"
GROUP_MEMBER_ID = 7001
FIRST_UPDATE_ID = 500_000_001


_LEADING_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]+)?(?![A-Za-z0-9_])")


def _words(text: str) -> frozenset[str]:
    """Long name lists stay compact and greppable as one string."""
    return frozenset(text.split())


CONFLICT_POLL = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)

# PTB sends strings unencoded; these must stay strings even when they look like JSON ("42").
_STRING_PARAMS = _words(
    "action address business_connection_id callback_query_id caption description emoji "
    "file_id first_name inline_message_id ip_address language_code last_name "
    "message_effect_id name parse_mode phone_number secret_token short_description text "
    "title url"
)
# A JSON body may carry these as JSON-in-a-string, which Telegram accepts too.
_JSON_PARAMS = _words(
    "allowed_updates caption_entities commands entities link_preview_options media "
    "reply_markup reply_parameters scope"
)
_CHAT_ACTIONS = _words(
    "typing upload_photo record_video upload_video record_voice upload_voice upload_document "
    "choose_sticker find_location record_video_note upload_video_note"
)
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")


class ApiCall(NamedTuple):
    """One request the bot made, kept so tests can assert on what the bot sent."""

    method: str
    params: JSONDict


class ApiError(NamedTuple):
    """One request the fake refused, so a test can catch errors the bot's handlers swallowed."""

    method: str
    params: JSONDict
    status: int
    description: str


@dataclass(frozen=True)
class UploadedFile:
    """A multipart file part, kept whole so tests can check what the bot uploaded."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class _Failure:
    """An injected failure waiting for the next call of its method."""

    status: int
    description: str
    retry_after: int | None
    disconnect: bool


class _BadRequest(Exception):
    """A Bot API error answer, raised by a method and turned into Telegram's error JSON."""

    def __init__(self, description: str, status: int = 400, *, record: bool = True) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.record = record


@dataclass(frozen=True)
class _Reply:
    """What the HTTP handler writes back; ``None`` in its place means drop the connection."""

    status: int
    body: bytes
    content_type: str = "application/json"


def _json_reply(status: int, payload: object) -> _Reply:
    """Serialises under the caller's lock, so later edits cannot change an answer being sent."""
    return _Reply(status, json.dumps(payload, ensure_ascii=False).encode())


def _error_payload(status: int, description: str, retry_after: int | None = None) -> JSONDict:
    """Telegram's error shape, which PTB turns into RetryAfter, BadRequest, NetworkError..."""
    payload: JSONDict = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        payload["parameters"] = {"retry_after": retry_after}
    return payload


# --- decoding requests -------------------------------------------------------------------------


def _decode_field(name: str, raw: str) -> Any:
    """Undoes PTB's encoding: JSON for everything but plain strings."""
    if name in _STRING_PARAMS:
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _decode_multipart(content_type: str, body: bytes) -> JSONDict:
    """Reads form-data with the stdlib email parser, since the cgi module is on its way out."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = BytesParser(policy=policy.HTTP).parsebytes(head + body)
    params: JSONDict = {}
    for part in message.iter_parts():
        name = str(part.get_param("name", header="content-disposition") or "")
        data = cast(bytes, part.get_payload(decode=True) or b"")
        filename = part.get_filename()
        if filename is None:
            params[name] = _decode_field(name, data.decode("utf-8"))
        else:
            params[name] = UploadedFile(filename, part.get_content_type(), data)
    return params


def decode_params(content_type: str, body: bytes, query: str = "") -> JSONDict:
    """Decodes any request encoding the Bot API accepts into one dict of Python values."""
    params: JSONDict = {k: _decode_field(k, v) for k, v in parse_qsl(query, keep_blank_values=True)}
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/json" and body:
        params.update(json.loads(body))
    elif kind == "multipart/form-data":
        params.update(_decode_multipart(content_type, body))
    elif body:
        text = body.decode("utf-8")
        params.update({k: _decode_field(k, v) for k, v in parse_qsl(text, keep_blank_values=True)})
    for name in _JSON_PARAMS & params.keys():
        if isinstance(params[name], str):
            with suppress(ValueError):
                params[name] = json.loads(params[name])
    return params


# --- formatted text, as Telegram parses it ------------------------------------------------------


def _offset(text: str, index: int) -> int:
    """Telegram reports entity errors at UTF-8 byte offsets."""
    return len(text[:index].encode("utf-8"))


def _cant_parse(detail: str) -> _BadRequest:
    return _BadRequest(f"Bad Request: can't parse entities: {detail}")


_HTML_TAGS = _words(
    "a b blockquote code del em i ins pre s span strike strong tg-emoji tg-spoiler u"
)


class _TelegramHtml(HTMLParser):
    """Telegram's HTML subset: a few inline tags, properly nested; everything else is refused."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.source = source
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", source)]
        self.open_tags: list[str] = []
        self.text: list[str] = []

    def _here(self) -> int:
        line, column = self.getpos()
        return _offset(self.source, self.line_starts[line - 1] + column)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _HTML_TAGS:
            raise _cant_parse(f'Unsupported start tag "{tag}" at byte offset {self._here()}')
        self.open_tags.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raise _cant_parse(f'Unsupported start tag "{tag}" at byte offset {self._here()}')

    def handle_endtag(self, tag: str) -> None:
        if not self.open_tags:
            raise _cant_parse(f"Unexpected end tag at byte offset {self._here()}")
        expected = self.open_tags.pop()
        if expected != tag:
            raise _cant_parse(
                f'Unmatched end tag at byte offset {self._here()}, expected "</{expected}>", '
                f'found "</{tag}>"'
            )

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def plain_text(self) -> str:
        self.feed(self.source)
        self.close()
        if self.open_tags:
            raise _cant_parse(
                f'Can\'t find end tag corresponding to start tag "{self.open_tags[-1]}"'
            )
        return "".join(self.text)


_MD2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_MD2_NAMES = {
    "*": "Bold",
    "_": "Italic",
    "__": "Underline",
    "~": "Strikethrough",
    "||": "Spoiler",
    "[": "TextUrl",
}


def _find_closing(text: str, marker: str, start: int) -> int:
    """Index of the next unescaped `marker` from `start`, or -1."""
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text.startswith(marker, i):
            return i
        i += 1
    return -1


def _unescape(text: str) -> str:
    return re.sub(r"\\([\x01-\x7e])", r"\1", text)


def _code_span(text: str, i: int) -> tuple[str, int]:
    """Reads `code` or ```pre``` at `i`; returns its plain text and the index after it."""
    fence = "```" if text.startswith("```", i) else "`"
    end = _find_closing(text, fence, i + len(fence))
    if end < 0:
        name = "Pre" if fence == "```" else "Code"
        raise _cant_parse(f"Can't find end of {name} entity at byte offset {_offset(text, i)}")
    body = text[i + len(fence) : end]
    if fence == "```":
        language, newline, rest = body.partition("\n")
        if newline and language and " " not in language:
            body = rest
    return _unescape(body), end + len(fence)


def _markdown_v2_text(text: str) -> str:
    """MarkdownV2 as Telegram reads it; unescaped reserved characters are the classic bug."""
    out: list[str] = []
    opened: list[tuple[str, int]] = []
    expandable_quote = False
    i = 0
    while i < len(text):
        char = text[i]
        line_start = i == 0 or text[i - 1] == "\n"
        if char == "\\" and i + 1 < len(text) and "\x01" <= text[i + 1] <= "\x7e":
            out.append(text[i + 1])
            i += 2
            continue
        if char == "`":
            plain, i = _code_span(text, i)
            out.append(plain)
            continue
        if line_start and text.startswith("**>", i):
            expandable_quote, i = True, i + 3
            continue
        if line_start and char == ">":
            i += 1
            continue
        marker = next((m for m in ("__", "||") if text.startswith(m, i)), char)
        if marker == "||" and expandable_quote and all(m != "||" for m, _ in opened):
            expandable_quote, i = False, i + 2
            continue
        if marker in ("*", "_", "__", "~", "||"):
            found = next((k for k in range(len(opened) - 1, -1, -1) if opened[k][0] == marker), -1)
            if found >= 0:
                del opened[found]
            else:
                opened.append((marker, i))
            i += len(marker)
            continue
        if char == "!" and text.startswith("![", i):
            i += 1
            continue
        if char == "[":
            opened.append(("[", i))
            i += 1
            continue
        if char == "]" and any(m == "[" for m, _ in opened) and text.startswith("(", i + 1):
            close = _find_closing(text, ")", i + 2)
            if close < 0:
                raise _cant_parse(f"Can't find end of a URL at byte offset {_offset(text, i)}")
            opened.remove(next(o for o in reversed(opened) if o[0] == "["))
            i = close + 1
            continue
        if char in _MD2_RESERVED:
            raise _cant_parse(
                f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
            )
        out.append(char)
        i += 1
    if opened:
        marker, at = opened[0]
        raise _cant_parse(
            f"Can't find end of {_MD2_NAMES[marker]} entity at byte offset {_offset(text, at)}"
        )
    return "".join(out)


def _markdown_text(text: str) -> str:
    """Legacy Markdown: lenient, but an unclosed * or _ (think user_names) is still an error."""
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text) and text[i + 1] in "_*`[":
            out.append(text[i + 1])
            i += 2
        elif char == "`":
            plain, i = _code_span(text, i)
            out.append(plain)
        elif char in "*_":
            end = text.find(char, i + 1)
            if end < 0:
                raise _cant_parse(
                    f"Can't find end of the entity starting at byte offset {_offset(text, i)}"
                )
            out.append(text[i + 1 : end])
            i = end + 1
        elif match := re.match(r"\[([^\]]*)\]\(([^)]*)\)", text[i:]):
            out.append(match.group(1))
            i += match.end()
        else:
            out.append(char)
            i += 1
    return "".join(out)


def plain_text(text: str, parse_mode: str | None) -> str:
    """The text a user would see; raises Telegram's 400 when the markup does not parse."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        return _TelegramHtml(text).plain_text()
    if mode == "markdownv2":
        return _markdown_v2_text(text)
    if mode == "markdown":
        return _markdown_text(text)
    if mode:
        raise _BadRequest(f"Bad Request: unsupported parse_mode {parse_mode}")
    return text


def _utf16_length(text: str) -> int:
    """Telegram counts message length in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _checked_markup(markup: object) -> JSONDict | None:
    """Refuses keyboards Telegram refuses, most usefully callback_data over 64 bytes."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise _BadRequest("Bad Request: can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        for row in markup["inline_keyboard"]:
            for button in row:
                if not isinstance(button, dict):
                    raise _BadRequest("Bad Request: can't parse inline keyboard button")
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode("utf-8")) <= 64:
                    raise _BadRequest("Bad Request: BUTTON_DATA_INVALID")
                if len(button) == 1:
                    raise _BadRequest(
                        "Bad Request: text buttons are unallowed in the inline keyboard"
                    )
    elif "keyboard" in markup:
        if not all(isinstance(row, list) for row in markup["keyboard"]):
            raise _BadRequest("Bad Request: can't parse reply keyboard markup JSON object")
    elif not markup.get("remove_keyboard") and not markup.get("force_reply"):
        raise _BadRequest("Bad Request: can't parse reply keyboard markup JSON object")
    return markup


# --- the HTTP server ----------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    """A threading server that can cut its keep-alive connections when the fake closes."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, api: FakeBotApi) -> None:
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
    def _server(self) -> _Server:
        return cast(_Server, self.server)

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
        reply: _Reply | None
        if path.startswith("/file/bot"):
            _token, _, file_path = path.removeprefix("/file/bot").partition("/")
            reply = self._server.api._file_reply(file_path)
        elif path.startswith("/bot") and "/" in path[4:]:
            token, _, method = path.removeprefix("/bot").partition("/")
            try:
                params = decode_params(self.headers.get("Content-Type", ""), body, url.query)
            except ValueError as error:
                reply = _json_reply(400, _error_payload(400, f"Bad Request: {error}"))
            else:
                reply = self._server.api._handle(token, method, params)
        else:
            reply = _json_reply(404, _error_payload(404, "Not Found"))
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


# --- the fake -----------------------------------------------------------------------------------


class FakeBotApi:
    """The Bot API on 127.0.0.1: records what the bot calls and feeds it updates on demand."""

    def __init__(
        self,
        *,
        bot_id: int = BOT_ID,
        bot_username: str = BOT_USERNAME,
        bot_name: str = "Wayfinder",
        token: str | None = None,
        check_entities: bool = True,
    ) -> None:
        self.bot_user: JSONDict = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.token = token
        self.check_entities = check_entities
        self._lock = threading.Condition()
        self._calls: list[ApiCall] = []
        self._errors: list[ApiError] = []
        self._failures: dict[str, list[_Failure]] = {}
        self._updates: list[JSONDict] = []
        self._update_ids = itertools.count(FIRST_UPDATE_ID)
        self._serials = itertools.count(1)
        self._last_message_id: dict[int, int] = {}
        self._messages: dict[tuple[int, int], JSONDict] = {}
        self._chats: dict[int, JSONDict] = {}
        self._blocked: set[int] = set()
        self._callback_queries: set[str] = set()
        self._commands: dict[tuple[str, str], list[JSONDict]] = {}
        self._files: dict[str, tuple[JSONDict, bytes]] = {}
        self._webhook: JSONDict = {}
        self._poll_generation = 0
        self._closed = False
        # Called (outside the lock, in the server's thread) after each call has been answered:
        # load generators wait on these instead of polling calls() under the lock.
        self.listeners: list[Callable[[ApiCall], None]] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._methods: dict[str, tuple[str, Callable[[JSONDict], Any]]] = {
            name.lower(): (name, method)
            for name, method in (
                ("getMe", self._get_me),
                ("getUpdates", self._get_updates),
                ("setWebhook", self._set_webhook),
                ("deleteWebhook", self._delete_webhook),
                ("getWebhookInfo", self._get_webhook_info),
                ("sendMessage", self._send_message),
                ("sendPhoto", self._send_photo),
                ("sendDocument", self._send_document),
                ("sendLocation", self._send_location),
                ("sendVenue", self._send_venue),
                ("editMessageText", self._edit_message_text),
                ("editMessageReplyMarkup", self._edit_message_reply_markup),
                ("deleteMessage", self._delete_message),
                ("answerCallbackQuery", self._answer_callback_query),
                ("sendChatAction", self._send_chat_action),
                ("setMyCommands", self._set_my_commands),
                ("getMyCommands", self._get_my_commands),
                ("deleteMyCommands", self._delete_my_commands),
                ("getFile", self._get_file),
            )
        }

    # --- lifecycle

    def start(self) -> FakeBotApi:
        """Listens on a free port in a background thread; returns self for one-line set-ups."""
        if self._server is None:
            self._server = _Server(self)
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="fake-telegram-bot-api",
                daemon=True,
            )
            self._thread.start()
        return self

    def close(self) -> None:
        """Answers pending long polls with no updates, then stops the server and its threads."""
        with self._lock:
            self._closed = True
            self._lock.notify_all()
        if self._server is not None:
            self._server.wait_until_answered(timeout_s=2.0)
            self._server.shutdown()
            self._server.server_close()
            self._server.cut_connections()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeBotApi:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeBotApi is not started; use `with FakeBotApi() as fake:`")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """For `Bot(token, base_url=...)`: PTB appends the token and then /<method>."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """For `Bot(token, base_file_url=...)`, so File.download_* fetch from the fake."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    # --- what the bot did

    def calls(self, method: str | None = None) -> list[ApiCall]:
        """Every call so far (refused and failed ones too), optionally of one method."""
        with self._lock:
            return [c for c in self._calls if method is None or c.method.lower() == method.lower()]

    def errors(self) -> list[ApiError]:
        """Calls answered with an error: injected ones and those Telegram would refuse too."""
        with self._lock:
            return list(self._errors)

    def wait_for(
        self,
        method: str,
        predicate: Callable[[JSONDict], bool] | None = None,
        timeout: float = 5.0,
    ) -> ApiCall:
        """The first call of `method` whose params match, waiting for it if it has not come yet.

        Earlier calls count too (use clear() or a sharper predicate to skip them); a predicate
        that raises KeyError, IndexError or TypeError simply does not match.
        """
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                for call in self._calls:
                    if call.method.lower() == method.lower() and _matches(predicate, call.params):
                        return call
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [c.method for c in self._calls]
                    raise TimeoutError(f"no matching {method} call in {timeout}s; calls: {seen}")
                self._lock.wait(remaining)

    async def wait_for_async(
        self,
        method: str,
        predicate: Callable[[JSONDict], bool] | None = None,
        timeout: float = 5.0,
    ) -> ApiCall:
        """wait_for without blocking the event loop the bot under test runs on."""
        return await asyncio.to_thread(self.wait_for, method, predicate, timeout)

    def clear(self) -> None:
        """Forgets recorded calls and errors; chats, messages and queued updates stay."""
        with self._lock:
            self._calls.clear()
            self._errors.clear()

    def bot_messages(self, chat_id: int) -> list[JSONDict]:
        """The bot's messages in a chat as they stand now, after edits and deletions."""
        with self._lock:
            found = [
                m
                for (chat, _), m in sorted(self._messages.items())
                if chat == chat_id and m["from"]["id"] == self.bot_user["id"]
            ]
            return copy.deepcopy(found)

    def pending_updates(self) -> list[JSONDict]:
        """Updates not yet confirmed by a getUpdates offset."""
        with self._lock:
            return copy.deepcopy(self._updates)

    # --- making Telegram misbehave

    def fail_next(
        self,
        method: str,
        times: int = 1,
        status: int = 429,
        retry_after: int = 1,
        *,
        description: str | None = None,
        disconnect: bool = False,
    ) -> None:
        """The next `times` calls of `method` fail: an error JSON, or a dropped connection.

        Recorded in errors() with the status, or 0 for a dropped connection.
        """
        if disconnect:
            status, description = 0, "connection closed without an answer"
        elif description is None and status == 429:
            description = f"Too Many Requests: retry after {retry_after}"
        elif description is None:
            description = HTTPStatus(status).phrase
        failure = _Failure(status, description, retry_after if status == 429 else None, disconnect)
        with self._lock:
            self._failures.setdefault(method.lower(), []).extend([failure] * times)

    def block(self, chat_id: int) -> None:
        """The user blocks the bot: sending to the chat now gets 403 Forbidden."""
        with self._lock:
            self._blocked.add(chat_id)

    # --- what the user does

    def push_update(self, payload: Mapping[str, Any]) -> JSONDict:
        """Queues any update body (e.g. {"edited_message": ...}) under the next update_id."""
        with self._lock:
            return self._enqueue(copy.deepcopy(dict(payload)))

    def push_text(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        first_name: str = "Ada",
        reply_to_message_id: int | None = None,
    ) -> JSONDict:
        """A user writes text to the bot, in a private chat (id > 0) or a supergroup (id < 0).

        Text that starts with a command ("/done") gets its bot_command entity, as clients add it.
        """
        content: JSONDict = {"text": text}
        command = _LEADING_COMMAND.match(text)
        if command:
            length = _utf16_length(command.group(0))
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        with self._lock:
            if reply_to_message_id is not None:
                content["reply_to_message"] = self._replied_to(chat_id, reply_to_message_id)
            return self._push_message(chat_id, user_id, first_name, content)

    def push_edit(self, update: Mapping[str, Any], **content: Any) -> JSONDict:
        """The user edits the message a push_* update carried (new text, a live location's
        next point): Telegram sends it again, changed, as an `edited_message`."""
        message = {**update["message"], **content, "edit_date": int(time.time())}
        with self._lock:
            self._messages[(message["chat"]["id"], message["message_id"])] = message
            return self._enqueue({"edited_message": copy.deepcopy(message)})

    def push_command(
        self,
        chat_id: int,
        command: str,
        args: str = "",
        *,
        user_id: int | None = None,
        first_name: str = "Ada",
        mention_bot: bool = False,
    ) -> JSONDict:
        """A user sends /command (with a bot_command entity, as Telegram clients do)."""
        word = "/" + command.removeprefix("/")
        if mention_bot:
            word += f"@{self.bot_user['username']}"
        content: JSONDict = {
            "text": f"{word} {args}" if args else word,
            "entities": [{"type": "bot_command", "offset": 0, "length": _utf16_length(word)}],
        }
        with self._lock:
            return self._push_message(chat_id, user_id, first_name, content)

    def push_callback(
        self,
        chat_id: int,
        data: str,
        message_id: int,
        *,
        user_id: int | None = None,
        first_name: str = "Ada",
    ) -> JSONDict:
        """A user taps an inline button with `data` under message `message_id`."""
        with self._lock:
            chat = self._chat(chat_id, first_name)
            user = _user(self._user_id(chat_id, user_id), first_name)
            message = self._messages.get((chat_id, message_id)) or self._stand_in(chat, message_id)
            query_id = str(4_000_000_000_000_000 + next(self._serials))
            self._callback_queries.add(query_id)
            query = {
                "id": query_id,
                "from": user,
                "message": message,
                "chat_instance": str(-abs(chat_id) * 7919),
                "data": data,
            }
            return self._enqueue({"callback_query": query})

    def press_button(
        self,
        chat_id: int,
        label: str,
        *,
        message_id: int | None = None,
        user_id: int | None = None,
        first_name: str = "Ada",
    ) -> JSONDict:
        """Taps the inline button labelled `label` on the bot's latest (or given) message."""
        with self._lock:
            candidates = [
                m
                for (chat, mid), m in sorted(self._messages.items(), reverse=True)
                if chat == chat_id
                and (message_id is None or mid == message_id)
                and "reply_markup" in m
            ]
            labels: list[str] = []
            for message in candidates[:1]:
                for row in message["reply_markup"]["inline_keyboard"]:
                    for button in row:
                        labels.append(button["text"])
                        if button["text"] == label and "callback_data" in button:
                            mid = message["message_id"]
                            data = button["callback_data"]
                            return self.push_callback(
                                chat_id, data, mid, user_id=user_id, first_name=first_name
                            )
        raise LookupError(f"no inline button {label!r} in chat {chat_id}; buttons: {labels}")

    def push_location(
        self,
        chat_id: int,
        latitude: float,
        longitude: float,
        *,
        user_id: int | None = None,
        first_name: str = "Ada",
    ) -> JSONDict:
        """A user shares a location (what a request_location keyboard button sends)."""
        location = {"latitude": latitude, "longitude": longitude}
        with self._lock:
            return self._push_message(chat_id, user_id, first_name, {"location": location})

    def push_photo(
        self,
        chat_id: int,
        *,
        caption: str | None = None,
        data: bytes = b"\xff\xd8\xff\xe0fake-jpeg",
        user_id: int | None = None,
        first_name: str = "Ada",
    ) -> JSONDict:
        """A user sends a photo; Telegram delivers it in two sizes."""
        with self._lock:
            sizes = [
                {**self._new_file("photo", data[:16], "jpg"), "width": 90, "height": 67},
                {**self._new_file("photo", data, "jpg"), "width": 1280, "height": 960},
            ]
            content: JSONDict = {"photo": sizes}
            if caption is not None:
                content["caption"] = caption
            return self._push_message(chat_id, user_id, first_name, content)

    def push_sticker(
        self,
        chat_id: int,
        *,
        emoji: str = "👍",
        user_id: int | None = None,
        first_name: str = "Ada",
    ) -> JSONDict:
        """A user sends a sticker, which the bot can only answer politely."""
        with self._lock:
            sticker = {
                **self._new_file("sticker", b"RIFF-fake-webp", "webp"),
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "emoji": emoji,
            }
            return self._push_message(chat_id, user_id, first_name, {"sticker": sticker})

    def push_voice(
        self,
        chat_id: int,
        *,
        duration: int = 3,
        data: bytes = b"OggS-fake-voice",
        user_id: int | None = None,
        first_name: str = "Ada",
    ) -> JSONDict:
        """A user sends a voice note; getFile and the file URL serve `data` back."""
        with self._lock:
            voice = {
                **self._new_file("voice", data, "oga"),
                "duration": duration,
                "mime_type": "audio/ogg",
            }
            return self._push_message(chat_id, user_id, first_name, {"voice": voice})

    def push_document(
        self,
        chat_id: int,
        *,
        file_name: str = "notes.pdf",
        mime_type: str = "application/pdf",
        caption: str | None = None,
        data: bytes = b"%PDF-1.4 fake",
        user_id: int | None = None,
        first_name: str = "Ada",
    ) -> JSONDict:
        """A user sends a file as a document."""
        with self._lock:
            extension = file_name.rpartition(".")[2] or "bin"
            document = {
                **self._new_file("document", data, extension),
                "file_name": file_name,
                "mime_type": mime_type,
            }
            content: JSONDict = {"document": document}
            if caption is not None:
                content["caption"] = caption
            return self._push_message(chat_id, user_id, first_name, content)

    def push_group_reply(
        self,
        group_chat_id: int,
        text: str,
        reply_to_message_id: int,
        user_id: int,
        *,
        first_name: str = "Nia",
    ) -> JSONDict:
        """Someone in a group replies to an earlier bot message (the navigators' hand-off)."""
        if group_chat_id >= 0:
            raise ValueError("group chat ids are negative, e.g. -1001234567890")
        return self.push_text(
            group_chat_id,
            text,
            user_id=user_id,
            first_name=first_name,
            reply_to_message_id=reply_to_message_id,
        )

    def deliver_webhook(self, update: Mapping[str, Any]) -> int:
        """Delivers an update to the URL given to setWebhook, with its secret, like Telegram."""
        with self._lock:
            url = self._webhook.get("url")
            secret = self._webhook.get("secret_token")
        if not url:
            raise RuntimeError("no webhook is set; the bot has not called setWebhook")
        return post_update_to(url, update, secret)

    # --- internals (callers hold self._lock)

    def _handle(self, token: str, method: str, params: JSONDict) -> _Reply | None:
        """Records the call, applies injected failures, runs the method, tells the listeners."""
        name = self._methods.get(method.lower(), (method, None))[0]
        reply = self._answer(token, method, params)
        for listener in list(self.listeners):
            listener(ApiCall(name, params))
        return reply

    def _answer(self, token: str, method: str, params: JSONDict) -> _Reply | None:
        """The reply to one call, made under the lock."""
        name, handler = self._methods.get(method.lower(), (method, None))
        with self._lock:
            self._calls.append(ApiCall(name, params))
            self._lock.notify_all()
            if self.token is not None and token != self.token:
                return self._refuse(name, params, _BadRequest("Unauthorized", 401))
            queued = self._failures.get(name.lower())
            if queued:
                failure = queued.pop(0)
                self._errors.append(ApiError(name, params, failure.status, failure.description))
                if failure.disconnect:
                    return None
                payload = _error_payload(failure.status, failure.description, failure.retry_after)
                return _json_reply(failure.status, payload)
            try:
                result = handler(params) if handler is not None else True
            except _BadRequest as error:
                return self._refuse(name, params, error)
            except Exception as error:  # a bug in the fake must not hang the bot under test
                _LOGGER.exception("FakeBotApi failed on %s %r", name, params)
                return self._refuse(
                    name, params, _BadRequest(f"Internal Server Error: {error!r}", 500)
                )
            return _json_reply(200, {"ok": True, "result": result})

    def _refuse(self, method: str, params: JSONDict, error: _BadRequest) -> _Reply:
        if error.record:
            self._errors.append(ApiError(method, params, error.status, error.description))
        return _json_reply(error.status, _error_payload(error.status, error.description))

    def _file_reply(self, file_path: str) -> _Reply:
        with self._lock:
            for info, data in self._files.values():
                if info["file_path"] == file_path:
                    return _Reply(200, data, "application/octet-stream")
        return _json_reply(404, _error_payload(404, "Not Found"))

    def _enqueue(self, body: JSONDict) -> JSONDict:
        update = {"update_id": next(self._update_ids), **body}
        self._updates.append(update)
        self._lock.notify_all()
        return copy.deepcopy(update)

    def _chat(self, chat_id: int, first_name: str = "Ada") -> JSONDict:
        """The chat with this id, made on first use: private for ids > 0, supergroup for < 0."""
        if chat_id not in self._chats:
            if chat_id > 0:
                self._chats[chat_id] = {"id": chat_id, "type": "private", "first_name": first_name}
            else:
                self._chats[chat_id] = {"id": chat_id, "type": "supergroup", "title": "Test group"}
        return self._chats[chat_id]

    def _user_id(self, chat_id: int, user_id: int | None) -> int:
        """In a private chat the user's id is the chat id, as in Telegram."""
        if user_id is not None:
            return user_id
        return chat_id if chat_id > 0 else GROUP_MEMBER_ID

    def _next_message_id(self, chat_id: int) -> int:
        self._last_message_id[chat_id] = self._last_message_id.get(chat_id, 0) + 1
        return self._last_message_id[chat_id]

    def _push_message(
        self, chat_id: int, user_id: int | None, first_name: str, content: JSONDict
    ) -> JSONDict:
        message = {
            "message_id": self._next_message_id(chat_id),
            "from": _user(self._user_id(chat_id, user_id), first_name),
            "chat": self._chat(chat_id, first_name),
            "date": int(time.time()),
            **content,
        }
        self._messages[(chat_id, message["message_id"])] = message
        return self._enqueue({"message": message})

    def _stand_in(self, chat: JSONDict, message_id: int) -> JSONDict:
        """A bot message the fake never saw, for callbacks and replies to made-up ids."""
        return {
            "message_id": message_id,
            "from": self.bot_user,
            "chat": chat,
            "date": int(time.time()),
            "text": "…",
        }

    def _replied_to(self, chat_id: int, message_id: int) -> JSONDict:
        stored = self._messages.get((chat_id, message_id))
        message = dict(stored) if stored else self._stand_in(self._chat(chat_id), message_id)
        message.pop("reply_to_message", None)  # Telegram nests replies one level deep only
        return message

    def _new_file(self, kind: str, data: bytes, extension: str) -> JSONDict:
        serial = next(self._serials)
        info: JSONDict = {
            "file_id": f"fake-{kind}-{serial}",
            "file_unique_id": f"u{kind}{serial}",
            "file_size": len(data),
        }
        self._files[info["file_id"]] = (
            {**info, "file_path": f"{kind}s/file_{serial}.{extension}"},
            data,
        )
        return info

    def _target_chat(self, params: JSONDict) -> JSONDict:
        """The chat a send/edit is for, refusing what Telegram refuses."""
        raw = params.get("chat_id")
        if raw in (None, ""):
            raise _BadRequest("Bad Request: chat_id is empty")
        try:
            chat_id = int(raw)
        except (TypeError, ValueError):
            raise _BadRequest("Bad Request: chat not found") from None
        if chat_id in self._blocked:
            raise _BadRequest("Forbidden: bot was blocked by the user", 403)
        return self._chat(chat_id)

    def _text_param(self, params: JSONDict, name: str, required: bool) -> str | None:
        raw = params.get(name)
        if raw is None or raw == "":
            if required:
                raise _BadRequest("Bad Request: message text is empty")
            return None
        text = str(raw)
        if self.check_entities:
            text = plain_text(text, params.get("parse_mode"))
        limit = 4096 if name == "text" else 1024
        if not text.strip() and required:
            raise _BadRequest("Bad Request: message text is empty")
        if _utf16_length(text) > limit:
            what = "message" if name == "text" else "message caption"
            raise _BadRequest(f"Bad Request: {what} is too long")
        return text

    def _bot_message(self, params: JSONDict, content: JSONDict) -> JSONDict:
        """A message from the bot, stored so callbacks, replies and edits can find it."""
        chat = self._target_chat(params)
        markup = _checked_markup(params.get("reply_markup"))
        message: JSONDict = {
            "message_id": 0,
            "from": self.bot_user,
            "chat": chat,
            "date": int(time.time()),
            **content,
        }
        reply = params.get("reply_parameters") or {}
        reply_to = reply.get("message_id", params.get("reply_to_message_id"))
        if reply_to is not None:
            stored = self._messages.get((chat["id"], int(reply_to)))
            if stored is not None:
                message["reply_to_message"] = self._replied_to(chat["id"], int(reply_to))
            elif not reply.get("allow_sending_without_reply"):
                raise _BadRequest("Bad Request: message to be replied not found")
        if markup is not None and "inline_keyboard" in markup:
            message["reply_markup"] = markup  # Message.reply_markup is only ever inline
        if params.get("link_preview_options") is not None:
            message["link_preview_options"] = params["link_preview_options"]
        message["message_id"] = self._next_message_id(chat["id"])
        self._messages[(chat["id"], message["message_id"])] = message
        return message

    def _editable(self, params: JSONDict) -> JSONDict | None:
        """The stored bot message an edit targets; None for inline messages (answered True)."""
        if params.get("inline_message_id"):
            return None
        chat = self._target_chat(params)
        message = self._messages.get((chat["id"], int(params.get("message_id") or 0)))
        if message is None:
            raise _BadRequest("Bad Request: message to edit not found")
        if message["from"]["id"] != self.bot_user["id"]:
            raise _BadRequest("Bad Request: message can't be edited")
        return message

    def _store_edit(self, old: JSONDict, new: JSONDict) -> JSONDict:
        if {k: v for k, v in old.items() if k != "edit_date"} == new:
            raise _BadRequest(
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a content and reply markup of the current message"
            )
        new["edit_date"] = int(time.time())
        self._messages[(new["chat"]["id"], new["message_id"])] = new
        return new

    # --- Bot API methods

    def _get_me(self, params: JSONDict) -> JSONDict:
        return self.bot_user

    def _get_updates(self, params: JSONDict) -> list[JSONDict]:
        """Long polling: waits up to `timeout` s; updates stay until a higher offset confirms."""
        if self._webhook.get("url"):
            raise _BadRequest(CONFLICT_WEBHOOK, 409)
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = max(float(params.get("timeout") or 0), 0.0)
        allowed = set(params.get("allowed_updates") or ())
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]
        self._poll_generation += 1
        generation = self._poll_generation
        self._lock.notify_all()  # an older long poll still waiting now ends with 409
        deadline = time.monotonic() + timeout
        while True:
            batch = [u for u in self._updates if not allowed or _update_type(u) in allowed]
            remaining = deadline - time.monotonic()
            if batch or self._closed or remaining <= 0:
                return batch[:limit]
            self._lock.wait(remaining)
            if generation != self._poll_generation:
                # Normal when PTB stops polling (it cancels the request, then polls once more),
                # so it stays out of errors(); two live pollers still see Conflict in PTB.
                raise _BadRequest(CONFLICT_POLL, 409, record=False)

    def _set_webhook(self, params: JSONDict) -> bool:
        """Remembers the webhook; unlike Telegram, plain http:// URLs are fine for local tests."""
        self._webhook = dict(params) if params.get("url") else {}
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _delete_webhook(self, params: JSONDict) -> bool:
        self._webhook = {}
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _get_webhook_info(self, params: JSONDict) -> JSONDict:
        info: JSONDict = {
            "url": self._webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self._webhook:
            info["max_connections"] = int(self._webhook.get("max_connections") or 40)
            if self._webhook.get("allowed_updates"):
                info["allowed_updates"] = self._webhook["allowed_updates"]
        return info

    def _send_message(self, params: JSONDict) -> JSONDict:
        text = self._text_param(params, "text", required=True)
        return self._bot_message(params, {"text": text})

    def _media_content(self, params: JSONDict, field: str, default: JSONDict) -> JSONDict:
        """The media part of a sent message; uploads are kept so getFile can serve them back."""
        media = params.get(field)
        if media in (None, ""):
            raise _BadRequest(f"Bad Request: there is no {field} in the request")
        data = media.data if isinstance(media, UploadedFile) else str(media).encode()
        content: JSONDict = {}
        caption = self._text_param(params, "caption", required=False)
        if caption is not None:
            content["caption"] = caption
        return {**content, field: {**self._new_file(field, data, "bin"), **default}}

    def _send_photo(self, params: JSONDict) -> JSONDict:
        content = self._media_content(params, "photo", {"width": 1280, "height": 960})
        content["photo"] = [content["photo"]]
        return self._bot_message(params, content)

    def _send_document(self, params: JSONDict) -> JSONDict:
        media = params.get("document")
        name = media.filename if isinstance(media, UploadedFile) else "document"
        content = self._media_content(params, "document", {"file_name": name})
        return self._bot_message(params, content)

    def _send_location(self, params: JSONDict) -> JSONDict:
        location = {name: _required(params, name) for name in ("latitude", "longitude")}
        return self._bot_message(params, {"location": location})

    def _send_venue(self, params: JSONDict) -> JSONDict:
        location = {name: _required(params, name) for name in ("latitude", "longitude")}
        venue = {
            "location": location,
            "title": _required(params, "title"),
            "address": _required(params, "address"),
        }
        return self._bot_message(params, {"location": location, "venue": venue})

    def _edit_message_text(self, params: JSONDict) -> JSONDict | bool:
        text = self._text_param(params, "text", required=True)
        markup = _checked_markup(params.get("reply_markup"))
        message = self._editable(params)
        if message is None:
            return True
        edited = {k: v for k, v in message.items() if k not in ("edit_date", "reply_markup")}
        edited["text"] = text
        if markup is not None and "inline_keyboard" in markup:
            edited["reply_markup"] = markup  # without reply_markup the keyboard goes, as in TG
        return self._store_edit(message, edited)

    def _edit_message_reply_markup(self, params: JSONDict) -> JSONDict | bool:
        markup = _checked_markup(params.get("reply_markup"))
        message = self._editable(params)
        if message is None:
            return True
        edited = {k: v for k, v in message.items() if k not in ("edit_date", "reply_markup")}
        if markup is not None and markup.get("inline_keyboard"):
            edited["reply_markup"] = markup
        return self._store_edit(message, edited)

    def _delete_message(self, params: JSONDict) -> bool:
        chat = self._target_chat(params)
        if self._messages.pop((chat["id"], int(params.get("message_id") or 0)), None) is None:
            raise _BadRequest("Bad Request: message to delete not found")
        return True

    def _answer_callback_query(self, params: JSONDict) -> bool:
        if str(params.get("callback_query_id")) not in self._callback_queries:
            raise _BadRequest(
                "Bad Request: query is too old and response timeout expired or query ID is invalid"
            )
        return True

    def _send_chat_action(self, params: JSONDict) -> bool:
        self._target_chat(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise _BadRequest("Bad Request: wrong parameter action in request")
        return True

    def _commands_key(self, params: JSONDict) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    def _set_my_commands(self, params: JSONDict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _BadRequest("Bad Request: can't parse commands JSON object")
        for command in commands:
            if not _COMMAND.fullmatch(str(command.get("command", ""))):
                raise _BadRequest("Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise _BadRequest("Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        self._commands[self._commands_key(params)] = commands
        return True

    def _get_my_commands(self, params: JSONDict) -> list[JSONDict]:
        return self._commands.get(self._commands_key(params), [])

    def _delete_my_commands(self, params: JSONDict) -> bool:
        self._commands.pop(self._commands_key(params), None)
        return True

    def _get_file(self, params: JSONDict) -> JSONDict:
        found = self._files.get(str(params.get("file_id")))
        if found is None:
            raise _BadRequest("Bad Request: invalid file_id")
        return found[0]


def _user(user_id: int, first_name: str) -> JSONDict:
    return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "en"}


def _required(params: JSONDict, name: str) -> Any:
    if params.get(name) in (None, ""):
        raise _BadRequest(f"Bad Request: {name} is empty")
    return params[name]


def _update_type(update: JSONDict) -> str:
    return next(key for key in update if key != "update_id")


def _matches(predicate: Callable[[JSONDict], bool] | None, params: JSONDict) -> bool:
    if predicate is None:
        return True
    try:
        return bool(predicate(params))
    except (KeyError, IndexError, TypeError):
        return False


def post_update_to(
    url: str, update: Mapping[str, Any], secret_token: str | None = None, timeout: float = 5.0
) -> int:
    """POSTs an update the way Telegram calls a webhook; returns the HTTP status it got back."""
    headers = {"Content-Type": "application/json"}
    if secret_token is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret_token
    request = urllib.request.Request(
        url, data=json.dumps(update).encode(), headers=headers, method="POST"
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # localhost, no proxy
    try:
        with opener.open(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def iter_buttons(markup: Mapping[str, Any] | None) -> Iterator[JSONDict]:
    """Every button of an inline or reply keyboard as a dict, for concise assertions."""
    if not markup:
        return
    for row in markup.get("inline_keyboard") or markup.get("keyboard") or []:
        for button in row:
            yield {"text": button} if isinstance(button, str) else dict(button)
