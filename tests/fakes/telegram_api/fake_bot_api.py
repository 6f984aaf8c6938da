"""FakeBotApi, the test's side of the fake: start and stop it, play the user, see what the bot
did, make Telegram misbehave."""

from __future__ import annotations

import asyncio
import copy
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from http import HTTPStatus
from types import TracebackType
from typing import Any

from tests.fakes.telegram_api.formats import utf16_length
from tests.fakes.telegram_api.server import Server
from tests.fakes.telegram_api.state import ApiCall, ApiError, BotApiState, Failure
from tests.fakes.telegram_api.wire import JSONDict, post_update_to

_LEADING_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]+)?(?![A-Za-z0-9_])")


class FakeBotApi(BotApiState):
    """The Bot API on 127.0.0.1: records what the bot calls and feeds it updates on demand."""

    _server: Server | None = None
    _thread: threading.Thread | None = None

    # --- lifecycle

    def start(self) -> FakeBotApi:
        """Listens on a free port in a background thread; returns self for one-line set-ups."""
        if self._server is None:
            self._server = Server(self)
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
        failure = Failure(status, description, retry_after if status == 429 else None, disconnect)
        with self._lock:
            self._failures.setdefault(method.lower(), []).extend([failure] * times)

    def block(self, chat_id: int) -> None:
        """The user blocks the bot: sending to the chat now gets 403 Forbidden."""
        with self._lock:
            self._blocked.add(chat_id)

    def set_language(self, user_id: int, language_code: str | None) -> None:
        """The user's Telegram app is set to `language_code` (an IETF tag; None: not said): their
        updates from now on carry it."""
        with self._lock:
            self._languages[user_id] = language_code

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
            length = utf16_length(command.group(0))
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
            "entities": [{"type": "bot_command", "offset": 0, "length": utf16_length(word)}],
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
            user = self._user(self._user_id(chat_id, user_id), first_name)
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


def _matches(predicate: Callable[[JSONDict], bool] | None, params: JSONDict) -> bool:
    if predicate is None:
        return True
    try:
        return bool(predicate(params))
    except (KeyError, IndexError, TypeError):
        return False


def iter_buttons(markup: Mapping[str, Any] | None) -> Iterator[JSONDict]:
    """Every button of an inline or reply keyboard as a dict, for concise assertions."""
    if not markup:
        return
    for row in markup.get("inline_keyboard") or markup.get("keyboard") or []:
        for button in row:
            yield {"text": button} if isinstance(button, str) else dict(button)
