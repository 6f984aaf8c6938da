"""What Telegram keeps for one bot (updates, chats, messages, files, webhook, commands) and the
Bot API methods that read and change it, refusing what Telegram refuses."""

from __future__ import annotations

import copy
import itertools
import json
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from tests.fakes.telegram_api.formats import checked_markup, plain_text, utf16_length
from tests.fakes.telegram_api.wire import (
    ApiRefusal,
    JSONDict,
    Reply,
    UploadedFile,
    error_payload,
    json_reply,
    words,
)

_LOGGER = logging.getLogger(__name__)

BOT_ID = 123456789
BOT_USERNAME = "wayfinder_test_bot"
TOKEN = f"{BOT_ID}:TEST-token-for-the-fake-bot-api"
GROUP_MEMBER_ID = 7001
FIRST_UPDATE_ID = 500_000_001

CONFLICT_POLL = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)

_CHAT_ACTIONS = words(
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
class Failure:
    """An injected failure waiting for the next call of its method."""

    status: int
    description: str
    retry_after: int | None
    disconnect: bool


class BotApiState:
    """The Bot API's side of the fake: its state under one lock, and a method per Bot API call."""

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
        self._failures: dict[str, list[Failure]] = {}
        self._updates: list[JSONDict] = []
        self._update_ids = itertools.count(FIRST_UPDATE_ID)
        self._serials = itertools.count(1)
        self._last_message_id: dict[int, int] = {}
        self._messages: dict[tuple[int, int], JSONDict] = {}
        self._chats: dict[int, JSONDict] = {}
        self._blocked: set[int] = set()
        self._languages: dict[int, str | None] = {}  # a user's app language, when not English
        self._callback_queries: set[str] = set()
        self._commands: dict[tuple[str, str], list[JSONDict]] = {}
        self._files: dict[str, tuple[JSONDict, bytes]] = {}
        self._webhook: JSONDict = {}
        self._poll_generation = 0
        self._closed = False
        # Called (outside the lock, in the server's thread) after each call has been answered:
        # load generators wait on these instead of polling calls() under the lock.
        self.listeners: list[Callable[[ApiCall], None]] = []
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

    # --- answering a call (in the server's threads)

    def handle(self, token: str, method: str, params: JSONDict) -> Reply | None:
        """Records the call, applies injected failures, runs the method, tells the listeners."""
        name = self._methods.get(method.lower(), (method, None))[0]
        reply = self._answer(token, method, params)
        for listener in list(self.listeners):
            listener(ApiCall(name, params))
        return reply

    def _answer(self, token: str, method: str, params: JSONDict) -> Reply | None:
        """The reply to one call, made under the lock."""
        name, handler = self._methods.get(method.lower(), (method, None))
        with self._lock:
            self._calls.append(ApiCall(name, params))
            self._lock.notify_all()
            if self.token is not None and token != self.token:
                return self._refuse(name, params, ApiRefusal("Unauthorized", 401))
            queued = self._failures.get(name.lower())
            if queued:
                failure = queued.pop(0)
                self._errors.append(ApiError(name, params, failure.status, failure.description))
                if failure.disconnect:
                    return None
                payload = error_payload(failure.status, failure.description, failure.retry_after)
                return json_reply(failure.status, payload)
            try:
                result = handler(params) if handler is not None else True
            except ApiRefusal as error:
                return self._refuse(name, params, error)
            except Exception as error:  # a bug in the fake must not hang the bot under test
                _LOGGER.exception("FakeBotApi failed on %s %r", name, params)
                return self._refuse(
                    name, params, ApiRefusal(f"Internal Server Error: {error!r}", 500)
                )
            return json_reply(200, {"ok": True, "result": result})

    def _refuse(self, method: str, params: JSONDict, error: ApiRefusal) -> Reply:
        if error.record:
            self._errors.append(ApiError(method, params, error.status, error.description))
        return json_reply(error.status, error_payload(error.status, error.description))

    def file_reply(self, file_path: str) -> Reply:
        with self._lock:
            for info, data in self._files.values():
                if info["file_path"] == file_path:
                    return Reply(200, data, "application/octet-stream")
        return json_reply(404, error_payload(404, "Not Found"))

    # --- internals (callers hold self._lock)

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

    def _user(self, user_id: int, first_name: str) -> JSONDict:
        """A user as updates describe them, in the language their app is set to."""
        return user_payload(user_id, first_name, self._languages.get(user_id, "en"))

    def _next_message_id(self, chat_id: int) -> int:
        self._last_message_id[chat_id] = self._last_message_id.get(chat_id, 0) + 1
        return self._last_message_id[chat_id]

    def _push_message(
        self, chat_id: int, user_id: int | None, first_name: str, content: JSONDict
    ) -> JSONDict:
        message = {
            "message_id": self._next_message_id(chat_id),
            "from": self._user(self._user_id(chat_id, user_id), first_name),
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
            raise ApiRefusal("Bad Request: chat_id is empty")
        try:
            chat_id = int(raw)
        except (TypeError, ValueError):
            raise ApiRefusal("Bad Request: chat not found") from None
        if chat_id in self._blocked:
            raise ApiRefusal("Forbidden: bot was blocked by the user", 403)
        return self._chat(chat_id)

    def _text_param(self, params: JSONDict, name: str, required: bool) -> str | None:
        raw = params.get(name)
        if raw is None or raw == "":
            if required:
                raise ApiRefusal("Bad Request: message text is empty")
            return None
        text = str(raw)
        if self.check_entities:
            text = plain_text(text, params.get("parse_mode"))
        limit = 4096 if name == "text" else 1024
        if not text.strip() and required:
            raise ApiRefusal("Bad Request: message text is empty")
        if utf16_length(text) > limit:
            what = "message" if name == "text" else "message caption"
            raise ApiRefusal(f"Bad Request: {what} is too long")
        return text

    def _bot_message(self, params: JSONDict, content: JSONDict) -> JSONDict:
        """A message from the bot, stored so callbacks, replies and edits can find it."""
        chat = self._target_chat(params)
        markup = checked_markup(params.get("reply_markup"))
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
                raise ApiRefusal("Bad Request: message to be replied not found")
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
            raise ApiRefusal("Bad Request: message to edit not found")
        if message["from"]["id"] != self.bot_user["id"]:
            raise ApiRefusal("Bad Request: message can't be edited")
        return message

    def _store_edit(self, old: JSONDict, new: JSONDict) -> JSONDict:
        if {k: v for k, v in old.items() if k != "edit_date"} == new:
            raise ApiRefusal(
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
            raise ApiRefusal(CONFLICT_WEBHOOK, 409)
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
                raise ApiRefusal(CONFLICT_POLL, 409, record=False)

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
            raise ApiRefusal(f"Bad Request: there is no {field} in the request")
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
        markup = checked_markup(params.get("reply_markup"))
        message = self._editable(params)
        if message is None:
            return True
        edited = {k: v for k, v in message.items() if k not in ("edit_date", "reply_markup")}
        edited["text"] = text
        if markup is not None and "inline_keyboard" in markup:
            edited["reply_markup"] = markup  # without reply_markup the keyboard goes, as in TG
        return self._store_edit(message, edited)

    def _edit_message_reply_markup(self, params: JSONDict) -> JSONDict | bool:
        markup = checked_markup(params.get("reply_markup"))
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
            raise ApiRefusal("Bad Request: message to delete not found")
        return True

    def _answer_callback_query(self, params: JSONDict) -> bool:
        if str(params.get("callback_query_id")) not in self._callback_queries:
            raise ApiRefusal(
                "Bad Request: query is too old and response timeout expired or query ID is invalid"
            )
        return True

    def _send_chat_action(self, params: JSONDict) -> bool:
        self._target_chat(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise ApiRefusal("Bad Request: wrong parameter action in request")
        return True

    def _commands_key(self, params: JSONDict) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    def _set_my_commands(self, params: JSONDict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiRefusal("Bad Request: can't parse commands JSON object")
        for command in commands:
            if not _COMMAND.fullmatch(str(command.get("command", ""))):
                raise ApiRefusal("Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise ApiRefusal("Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
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
            raise ApiRefusal("Bad Request: invalid file_id")
        return found[0]


def user_payload(user_id: int, first_name: str, language_code: str | None = "en") -> JSONDict:
    """A learner as Telegram describes one in updates: never a bot, English by default; with no
    language_code when the app does not say (Telegram leaves it out then)."""
    user: JSONDict = {"id": user_id, "is_bot": False, "first_name": first_name}
    if language_code is not None:
        user["language_code"] = language_code
    return user


def _required(params: JSONDict, name: str) -> Any:
    if params.get(name) in (None, ""):
        raise ApiRefusal(f"Bad Request: {name} is empty")
    return params[name]


def _update_type(update: JSONDict) -> str:
    return next(key for key in update if key != "update_id")
