"""A local fake of the Telegram Bot API, so bot tests run end to end with no network or token.

Point python-telegram-bot (PTB) at it and play the user::

    with FakeBotApi() as fake:
        app = Application.builder().token(TOKEN).base_url(fake.base_url).build()
        ...                                   # add handlers, start polling
        fake.push_text(42, "hi")              # a learner writes to the bot
        call = fake.wait_for("sendMessage", lambda p: p["chat_id"] == 42)

The gateway takes the fake's root instead (``TELEGRAM_API_BASE_URL``, the ``telegram_api_url``
setting: ``fake.base_url`` without its ``/bot``) and adds ``/bot`` and ``/file/bot`` itself.
Its users: the gateway's Telegram and community tests (tests/bot/gateway), the reminder
delivery tests, the e2e suite, and ``benchmarks/channels.py``, which counts the gateway's
messages through ``fake.listeners`` (called after each answered call, outside the lock).

What the fake does, module by module:

- ``wire``: decodes every request encoding the Bot API accepts into one dict. PTB 22
  (telegram/request/_httpxrequest.py, _requestparameter.py and _requestdata.py) POSTs each
  method to ``{base_url}{token}/{method}`` as ``application/x-www-form-urlencoded`` fields, or
  ``multipart/form-data`` parts when a file is uploaded; strings go as they are and every other
  value (ints, booleans, reply_markup and other objects, lists) is JSON-encoded, so
  ``chat_id=42&text=hi&reply_markup={"inline_keyboard": ...}``. Like the real server the fake
  also takes ``application/json`` bodies and query strings. Uploads are kept whole
  (``UploadedFile``). It also writes Telegram's answers and error JSON, and ``post_update_to``
  calls a webhook as Telegram does (with ``X-Telegram-Bot-Api-Secret-Token``).
- ``formats``: HTML, MarkdownV2 and legacy Markdown are parsed as Telegram parses them ("can't
  parse entities" at the same UTF-8 byte offsets); lengths count UTF-16 code units (4096 for a
  text, 1024 for a caption); keyboards Telegram refuses are refused, most usefully
  callback_data over 64 bytes.
- ``server``: a threading HTTP server on 127.0.0.1 (a free port) with keep-alive and
  TCP_NODELAY; it serves ``/bot<token>/<method>`` and the files at ``/file/bot<token>/<path>``,
  and on close lets the long polls it ends write their empty answer before cutting connections.
- ``state``: what Telegram keeps and the methods that use it: getMe, getUpdates, the webhook
  methods, sendMessage, sendPhoto, sendDocument, sendLocation, sendVenue, editMessageText,
  editMessageReplyMarkup, deleteMessage, answerCallbackQuery, sendChatAction, the command menu
  methods and getFile (any other method answers True). It behaves like Telegram where tests
  tend to find bugs: updates are kept until getUpdates confirms them with ``offset``; a newer
  getUpdates ends an older one with 409 Conflict, and so does getUpdates while a webhook is
  set; editing text without reply_markup removes the inline keyboard; unchanged edits are
  refused; replies to unknown messages, unknown callback queries and sends to a chat that
  blocked the bot are refused; a wrong token (when ``token`` is given) gets 401.
- ``fake_bot_api``: ``FakeBotApi``, the test's side. The user's moves: ``push_text``,
  ``push_command``, ``push_callback``/``press_button``, ``push_edit`` (an ``edited_message``),
  ``push_location``, ``push_photo``, ``push_sticker``, ``push_voice``, ``push_document``,
  ``push_group_reply`` (a navigator answering in the hand-off group), ``push_update`` for any
  other body, ``deliver_webhook``. What the bot did: ``calls()``, ``errors()`` (every refused
  or failed call, so a test can catch errors the bot's handlers swallowed), ``wait_for``,
  ``bot_messages`` (as they stand after edits and deletions), ``pending_updates``. Telegram
  misbehaving: ``fail_next`` (an error status, or a dropped connection) and ``block``.

What PTB 22.8 does with injected failures (telegram/request/_baserequest.py,
telegram/ext/_aioratelimiter.py and telegram/ext/_utils/networkloop.py): a 429 with
``parameters.retry_after`` raises ``telegram.error.RetryAfter`` from that very call. A plain
``Bot`` does not retry it; the gateway's Application does, through its ``AIORateLimiter``
(``MessageRateLimiter(max_retries=3)`` in bot/gateway/telegram_bot.py; sendChatAction skips it),
which pauses every request for ``retry_after`` + 0.1 s and raises once the retries are spent.
The Updater's polling loop sleeps ``retry_after + 0.5`` s and polls again. Reading
``RetryAfter.retry_after`` warns unless ``PTB_TIMEDELTA=true``. A 502 and a dropped connection
both raise ``telegram.error.NetworkError``; 401 raises ``InvalidToken``, 403 ``Forbidden``,
409 ``Conflict``, 400 ``BadRequest`` (whose message PTB strips of "Bad Request: " and
capitalises, so match it case-insensitively).

In async tests use ``await fake.wait_for_async(...)``: ``wait_for`` blocks the event loop the
bot runs on. The fake's own tests, against the real PTB: tests/fakes/test_telegram_api.py.
"""

from tests.fakes.telegram_api.fake_bot_api import FakeBotApi, iter_buttons
from tests.fakes.telegram_api.formats import plain_text
from tests.fakes.telegram_api.state import (
    BOT_ID,
    BOT_USERNAME,
    CONFLICT_POLL,
    CONFLICT_WEBHOOK,
    FIRST_UPDATE_ID,
    GROUP_MEMBER_ID,
    TOKEN,
    ApiCall,
    ApiError,
)
from tests.fakes.telegram_api.wire import JSONDict, UploadedFile, decode_params, post_update_to

__all__ = [
    "BOT_ID",
    "BOT_USERNAME",
    "CONFLICT_POLL",
    "CONFLICT_WEBHOOK",
    "FIRST_UPDATE_ID",
    "GROUP_MEMBER_ID",
    "TOKEN",
    "ApiCall",
    "ApiError",
    "FakeBotApi",
    "JSONDict",
    "UploadedFile",
    "decode_params",
    "iter_buttons",
    "plain_text",
    "post_update_to",
]
