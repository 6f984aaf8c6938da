"""The fake Bot API against the real python-telegram-bot 22, so bot e2e tests can trust it."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    KeyboardButton,
    LinkPreviewOptions,
    MessageEntity,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.helpers import escape_markdown

from tests.fakes.telegram_api import (
    BOT_ID,
    TOKEN,
    ApiCall,
    FakeBotApi,
    UploadedFile,
    iter_buttons,
    post_update_to,
)

CHAT = 42
GROUP = -1001234567890


@pytest.fixture
def fake() -> Iterator[FakeBotApi]:
    """A fresh fake Bot API per test, closed (and its long polls ended) afterwards."""
    with FakeBotApi() as api:
        yield api


@pytest.fixture
def timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    """PTB 22.2+ warns on int retry_after unless the timedelta behaviour is opted into."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


def bot_for(fake: FakeBotApi) -> Bot:
    return Bot(TOKEN, base_url=fake.base_url, base_file_url=fake.base_file_url)


def raw_post(url: str, body: bytes, content_type: str, timeout: float = 5.0) -> Any:
    """A request as another client (or curl) would send it, bypassing PTB's encoding."""
    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=timeout) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return json.loads(error.read())


def test_get_me_returns_the_fake_bot(fake: FakeBotApi) -> None:
    async def scenario() -> None:
        async with bot_for(fake) as bot:  # initialize() calls getMe
            me = await bot.get_me()
            assert (me.id, me.is_bot, me.username) == (BOT_ID, True, "wayfinder_test_bot")
            assert bot.username == "wayfinder_test_bot"

    asyncio.run(scenario())
    assert [c.method for c in fake.calls()] == ["getMe", "getMe"]


def test_send_message_records_the_inline_keyboard_as_python_objects(fake: FakeBotApi) -> None:
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("Details", callback_data='/details{"ordinal":"1"}')],
            [InlineKeyboardButton("Website", url="https://library.example.org")],
        ]
    )

    async def scenario() -> None:
        async with bot_for(fake) as bot:
            first = await bot.send_message(
                CHAT,
                "<b>Saturday Sketch Club</b> &amp; more",
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
            second = await bot.send_message(CHAT, "123")
            elsewhere = await bot.send_message(CHAT + 1, "hello")
            assert (first.message_id, second.message_id, elsewhere.message_id) == (1, 2, 1)
            assert first.text == "Saturday Sketch Club & more"
            assert first.reply_markup == keyboard
            assert first.from_user is not None and first.from_user.id == BOT_ID
            assert first.chat.type == ChatType.PRIVATE
            assert first.link_preview_options == LinkPreviewOptions(is_disabled=True)

    asyncio.run(scenario())
    sent = fake.calls("sendMessage")
    assert sent[0].params == {
        "chat_id": CHAT,
        "text": "<b>Saturday Sketch Club</b> &amp; more",
        "parse_mode": "HTML",
        "reply_markup": {
            "inline_keyboard": [
                [{"text": "Details", "callback_data": '/details{"ordinal":"1"}'}],
                [{"text": "Website", "url": "https://library.example.org"}],
            ]
        },
        "link_preview_options": {"is_disabled": True},
    }
    assert sent[1].params["text"] == "123"  # a string that looks like JSON stays a string
    method, params = fake.wait_for("sendMessage", lambda p: p["chat_id"] == CHAT + 1)
    assert (method, params["text"]) == ("sendMessage", "hello")
    assert fake.errors() == []


def test_a_reply_keyboard_with_a_location_button_is_recorded(fake: FakeBotApi) -> None:
    keyboard = ReplyKeyboardMarkup(
        [[KeyboardButton("📍 Share my location", request_location=True)], ["Skip"]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )

    async def scenario() -> None:
        async with bot_for(fake) as bot:
            message = await bot.send_message(CHAT, "Where are you?", reply_markup=keyboard)
            assert message.reply_markup is None  # Telegram only echoes inline keyboards
            await bot.send_message(CHAT, "Thanks", reply_markup=ReplyKeyboardRemove())

    asyncio.run(scenario())
    asked, removed = fake.calls("sendMessage")
    assert list(iter_buttons(asked.params["reply_markup"])) == [
        {"text": "📍 Share my location", "request_location": True},
        {"text": "Skip"},
    ]
    assert asked.params["reply_markup"]["one_time_keyboard"] is True
    assert removed.params["reply_markup"] == {"remove_keyboard": True}


def test_every_request_encoding_decodes_to_the_same_params(fake: FakeBotApi) -> None:
    url = f"{fake.base_url}{TOKEN}/sendMessage"
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    expected = {"chat_id": CHAT, "text": "42", "reply_markup": markup}
    form = urllib.parse.urlencode({"chat_id": 42, "text": "42", "reply_markup": json.dumps(markup)})
    as_json = json.dumps({"chat_id": 42, "text": "42", "reply_markup": markup}).encode()
    nested = json.dumps({"chat_id": 42, "text": "42", "reply_markup": json.dumps(markup)})

    assert raw_post(url, form.encode(), "application/x-www-form-urlencoded")["ok"]
    assert raw_post(url, as_json, "application/json")["ok"]
    assert raw_post(url, nested.encode(), "application/json; charset=utf-8")["ok"]
    assert raw_post(f"{url}?{form}", b"", "")["ok"]
    payload = bytes(range(256)) + b"\r\n--not-a-boundary\r\n"
    upload = {"document": ("data.bin", payload, "application/octet-stream")}
    fields = {"chat_id": "42", "caption": "true"}
    response = httpx.post(
        f"{fake.base_url}{TOKEN}/sendDocument", data=fields, files=upload, trust_env=False
    )
    assert response.json()["ok"], response.text

    assert [c.params for c in fake.calls("sendMessage")] == [expected] * 4
    document = fake.calls("sendDocument")[0].params
    assert document["caption"] == "true"
    assert document["document"] == UploadedFile("data.bin", "application/octet-stream", payload)


def test_html_and_markdown_are_checked_like_telegram(fake: FakeBotApi) -> None:
    reserved = "Ages 8-11 (free). Sat_Sun *new* [x] {y} ~z~ `c` > #1 + = | !"
    bad = [
        ("<b>Saturday", ParseMode.HTML, 'start tag "b"'),
        ("Line<br>break", ParseMode.HTML, 'Unsupported start tag "br"'),
        ("<b>bold</i>", ParseMode.HTML, 'expected "</b>"'),
        ("Starts Sat 16 Jan.", ParseMode.MARKDOWN_V2, "Character '.' is reserved"),
        ("*Sketch club", ParseMode.MARKDOWN_V2, "end of Bold entity"),
        ("Ask @wayfinder_help", ParseMode.MARKDOWN, "Can't find end of the entity"),
    ]
    good = [
        ('<b>Sat</b> &amp; <a href="https://x.org/?a=1&amp;b=2">map</a>', ParseMode.HTML),
        (
            r"*Sketch* \- ages 8–11 \(free\)\. [Map](https://maps.example.org/a-b.c?d=1)",
            "MarkdownV2",
        ),
        ("```python\nprint('a.b')\n``` and `x.y` and ||spoiler|| and __under__", "MarkdownV2"),
        (">quoted line\n*bold _italic_ bold*", ParseMode.MARKDOWN_V2),
        (escape_markdown(reserved, version=2), ParseMode.MARKDOWN_V2),
        ("*Sketch* _club_ [map](https://x.org/a_b)", ParseMode.MARKDOWN),
    ]

    async def scenario() -> list[str]:
        async with bot_for(fake) as bot:
            for text, mode, error in bad:
                with pytest.raises(BadRequest, match=r"(?i)can't parse entities") as refused:
                    await bot.send_message(CHAT, text, parse_mode=mode)
                assert error.lower() in refused.value.message.lower()
            return [(await bot.send_message(CHAT, t, parse_mode=m)).text or "" for t, m in good]

    shown = asyncio.run(scenario())
    assert shown[0] == "Sat & map"
    assert shown[1] == "Sketch - ages 8–11 (free). Map"
    assert shown[2] == "print('a.b')\n and x.y and spoiler and under"
    assert shown[4] == reserved
    assert shown[5] == "Sketch club map"
    assert len(fake.errors()) == len(bad)


def test_callback_data_over_64_bytes_is_refused(fake: FakeBotApi) -> None:
    def keyboard(data: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup([[InlineKeyboardButton("Save", callback_data=data)]])

    async def scenario() -> None:
        async with bot_for(fake) as bot:
            await bot.send_message(CHAT, "fits", reply_markup=keyboard("é" * 32))
            with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
                await bot.send_message(CHAT, "too long", reply_markup=keyboard("é" * 32 + "x"))

    asyncio.run(scenario())
    assert [(e.method, e.status) for e in fake.errors()] == [("sendMessage", 400)]


def test_edits_follow_telegram_rules(fake: FakeBotApi) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Remind me", callback_data="remind")]])

    async def scenario() -> None:
        async with bot_for(fake) as bot:
            sent = await bot.send_message(CHAT, "Sketch club", reply_markup=keyboard)
            with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
                await bot.edit_message_text(
                    "Sketch club", CHAT, sent.message_id, reply_markup=keyboard
                )
            edited = await bot.edit_message_text("Sketch club ✓", CHAT, sent.message_id)
            assert not isinstance(edited, bool)
            assert edited.reply_markup is None  # editing text without reply_markup drops it
            assert edited.edit_date is not None
            again = await bot.edit_message_reply_markup(
                CHAT, sent.message_id, reply_markup=keyboard
            )
            assert not isinstance(again, bool) and again.reply_markup == keyboard
            with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
                await bot.edit_message_text("?", CHAT, 999)
            assert await bot.delete_message(CHAT, sent.message_id)

    asyncio.run(scenario())
    assert fake.bot_messages(CHAT) == []


def test_an_application_answers_a_text_and_a_button_over_long_polling(fake: FakeBotApi) -> None:
    async def offer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Answers any text with a listing button, as the assistant does."""
        assert update.effective_message is not None
        button = InlineKeyboardButton("Sketch club", callback_data="details:1")
        await update.effective_message.reply_text(
            f"You said {update.effective_message.text}",
            reply_markup=InlineKeyboardMarkup([[button]]),
        )

    async def details(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Acknowledges the tap first, then replaces the listing with its details."""
        query = update.callback_query
        assert query is not None
        await query.answer()
        await query.edit_message_text(f"Details for {query.data}")

    async def scenario() -> float:
        app = (
            Application.builder()
            .token(TOKEN)
            .base_url(fake.base_url)
            .base_file_url(fake.base_file_url)
            .build()
        )
        app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, offer))
        app.add_handler(CallbackQueryHandler(details))
        async with app:
            assert app.updater is not None
            await app.updater.start_polling(poll_interval=0, timeout=1)
            await app.start()
            fake.push_text(CHAT, "art for my daughter")
            reply = await fake.wait_for_async("sendMessage")
            assert reply.params["text"] == "You said art for my daughter"
            fake.press_button(CHAT, "Sketch club")
            await fake.wait_for_async("answerCallbackQuery")
            await fake.wait_for_async("editMessageText")
            started = time.monotonic()
            await app.updater.stop()
            await app.stop()
            return time.monotonic() - started

    stopping = asyncio.run(scenario())
    assert stopping < 1.0
    (edit,) = fake.calls("editMessageText")
    assert edit.params == {"chat_id": CHAT, "message_id": 2, "text": "Details for details:1"}
    assert fake.pending_updates() == []  # the final getUpdates confirmed both updates
    assert fake.errors() == []
    assert fake.calls("deleteWebhook")  # PTB's polling bootstrap


def test_updates_are_delivered_until_an_offset_confirms_them(fake: FakeBotApi) -> None:
    first = fake.push_text(CHAT, "one")
    second = fake.push_text(CHAT, "two")
    assert second["update_id"] == first["update_id"] + 1

    async def scenario() -> None:
        async with bot_for(fake) as bot:
            assert [u.update_id for u in await bot.get_updates(limit=1)] == [first["update_id"]]
            again = await bot.get_updates()
            assert [u.message.text for u in again if u.message] == ["one", "two"]
            assert await bot.get_updates(offset=second["update_id"] + 1) == ()

    asyncio.run(scenario())
    assert fake.pending_updates() == []


def test_a_long_poll_waits_for_an_update_and_returns_as_soon_as_one_comes(
    fake: FakeBotApi,
) -> None:
    async def scenario() -> tuple[float, float, int]:
        async with bot_for(fake) as bot:
            started = time.monotonic()
            assert await bot.get_updates(timeout=1) == ()
            empty = time.monotonic() - started
            threading.Timer(0.2, fake.push_text, (CHAT, "hello")).start()
            started = time.monotonic()
            updates = await bot.get_updates(timeout=5)
            return empty, time.monotonic() - started, len(updates)

    empty, woken, count = asyncio.run(scenario())
    assert 0.9 <= empty < 2.0
    assert 0.15 <= woken < 1.0 and count == 1


def test_closing_ends_pending_long_polls_promptly() -> None:
    fake = FakeBotApi().start()
    url = f"{fake.base_url}{TOKEN}/getUpdates"
    answers: list[Any] = []
    poll = threading.Thread(
        target=lambda: answers.append(
            raw_post(url, b"timeout=30", "application/x-www-form-urlencoded")
        )
    )
    poll.start()
    fake.wait_for("getUpdates")
    started = time.monotonic()
    fake.close()
    poll.join(timeout=5)
    assert time.monotonic() - started < 1.0
    assert answers == [{"ok": True, "result": []}]
    fake.close()  # closing twice is harmless


def test_a_newer_long_poll_or_a_webhook_conflicts_like_telegram(fake: FakeBotApi) -> None:
    url = f"{fake.base_url}{TOKEN}/getUpdates"
    answers: list[Any] = []
    poll = threading.Thread(
        target=lambda: answers.append(
            raw_post(url, b"timeout=10", "application/x-www-form-urlencoded")
        )
    )
    poll.start()
    fake.wait_for("getUpdates")
    assert raw_post(url, b"timeout=0", "application/x-www-form-urlencoded")["ok"]
    poll.join(timeout=2)
    assert answers[0]["error_code"] == 409

    async def scenario() -> None:
        async with bot_for(fake) as bot:
            await bot.set_webhook("http://127.0.0.1:9/telegram", secret_token="s3cret")
            with pytest.raises(Conflict, match="webhook is active"):
                await bot.get_updates()
            await bot.delete_webhook()
            assert await bot.get_updates() == ()

    asyncio.run(scenario())


@pytest.mark.usefixtures("timedelta_retry_after")
def test_a_429_raises_retry_after_from_a_plain_bot_call(fake: FakeBotApi) -> None:
    """A plain Bot does not retry: RetryAfter reaches the caller (or the Application's error
    handler); only the Updater's polling loop waits retry_after + 0.5 s and polls again."""
    fake.fail_next("sendMessage", status=429, retry_after=3)

    async def scenario() -> None:
        async with bot_for(fake) as bot:
            with pytest.raises(RetryAfter) as limited:
                await bot.send_message(CHAT, "hello")
            assert limited.value.retry_after == timedelta(seconds=3)
            assert (await bot.send_message(CHAT, "hello")).message_id == 1

    asyncio.run(scenario())
    assert len(fake.calls("sendMessage")) == 2
    (error,) = fake.errors()
    assert (error.status, error.description) == (429, "Too Many Requests: retry after 3")


@pytest.mark.usefixtures("timedelta_retry_after")
def test_the_updater_polls_again_after_a_429(fake: FakeBotApi) -> None:
    fake.fail_next("getUpdates", status=429, retry_after=1)
    fake.push_text(CHAT, "hi")
    seen: list[str] = []

    async def note(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Records what arrived, to show the update survived the flood wait."""
        assert update.effective_message is not None
        seen.append(update.effective_message.text or "")

    async def scenario() -> float:
        app = Application.builder().token(TOKEN).base_url(fake.base_url).build()
        app.add_handler(MessageHandler(filters.TEXT, note))
        async with app:
            assert app.updater is not None
            started = time.monotonic()
            await app.updater.start_polling(poll_interval=0, timeout=1)
            await app.start()
            while not seen and time.monotonic() - started < 5:
                await asyncio.sleep(0.05)
            waited = time.monotonic() - started
            await app.updater.stop()
            await app.stop()
            return waited

    assert asyncio.run(scenario()) >= 1.4
    assert seen == ["hi"]


def test_a_bad_gateway_and_a_dropped_connection_raise_network_error(fake: FakeBotApi) -> None:
    fake.fail_next("sendMessage", status=502)
    fake.fail_next("sendChatAction", disconnect=True)

    async def scenario() -> None:
        async with bot_for(fake) as bot:
            with pytest.raises(NetworkError, match="Bad Gateway"):
                await bot.send_message(CHAT, "hello")
            with pytest.raises(NetworkError, match="httpx"):
                await bot.send_chat_action(CHAT, ChatAction.TYPING)
            assert await bot.send_chat_action(CHAT, ChatAction.TYPING)

    asyncio.run(scenario())
    assert [(e.method, e.status) for e in fake.errors()] == [
        ("sendMessage", 502),
        ("sendChatAction", 0),
    ]


def test_forbidden_when_blocked_and_invalid_token_when_the_token_is_wrong() -> None:
    with FakeBotApi(token=TOKEN) as fake:
        fake.block(CHAT)

        async def scenario() -> None:
            async with bot_for(fake) as bot:
                with pytest.raises(Forbidden, match="blocked"):
                    await bot.send_message(CHAT, "Your reminder")
            with pytest.raises(InvalidToken):
                async with Bot("1:wrong", base_url=fake.base_url):  # getMe on initialize
                    pass

        asyncio.run(scenario())


def test_pushed_updates_are_ones_ptb_understands(fake: FakeBotApi) -> None:
    sent = fake.push_text(CHAT, "hi", first_name="Ada")
    pushed = [
        fake.push_command(CHAT, "start", "ref42"),
        fake.push_location(CHAT, 49.28, -123.12),
        fake.push_photo(CHAT, caption="our poster"),
        fake.push_sticker(CHAT),
        fake.push_voice(CHAT, duration=4),
        fake.push_document(CHAT, file_name="cv.pdf"),
        fake.push_callback(CHAT, "details:1", 77),
        fake.push_group_reply(GROUP, "I can help", reply_to_message_id=5, user_id=9001),
        fake.push_command(GROUP, "help", mention_bot=True),
    ]
    text, command, location, photo, sticker, voice, document, callback, reply, group = [
        Update.de_json(u) for u in [sent, *pushed]
    ]
    assert [u.update_id for u in (text, command, group)] == [
        sent["update_id"],
        sent["update_id"] + 1,
        sent["update_id"] + 9,
    ]
    assert text.message and text.message.chat.type == ChatType.PRIVATE
    assert text.message.from_user and text.message.from_user.id == CHAT
    assert command.message and command.message.text == "/start ref42"
    assert command.message.entities[0].type == MessageEntity.BOT_COMMAND
    assert command.message.message_id == text.message.message_id + 1
    assert location.message and location.message.location
    assert location.message.location.longitude == -123.12
    assert photo.message and photo.message.photo[-1].width == 1280
    assert photo.message.caption == "our poster"
    assert sticker.message and sticker.message.sticker and sticker.message.sticker.emoji == "👍"
    assert voice.message and voice.message.voice and voice.message.voice.mime_type == "audio/ogg"
    assert document.message and document.message.document
    assert document.message.document.file_name == "cv.pdf"
    assert callback.callback_query and callback.callback_query.data == "details:1"
    assert callback.callback_query.message and callback.callback_query.message.message_id == 77
    assert reply.message and reply.message.chat.type == ChatType.SUPERGROUP
    assert reply.message.from_user and reply.message.from_user.id == 9001
    replied = reply.message.reply_to_message
    assert replied and replied.from_user and replied.from_user.id == BOT_ID
    assert group.message and group.message.text == "/help@wayfinder_test_bot"
    with pytest.raises(ValueError, match="negative"):
        fake.push_group_reply(CHAT, "x", 1, 2)


def test_files_the_user_sends_can_be_downloaded(fake: FakeBotApi) -> None:
    update = fake.push_voice(CHAT, data=b"OggS voice bytes")

    async def scenario() -> bytes:
        async with bot_for(fake) as bot:
            file = await bot.get_file(update["message"]["voice"]["file_id"])
            return bytes(await file.download_as_bytearray())

    assert asyncio.run(scenario()) == b"OggS voice bytes"


def test_media_the_bot_sends_comes_back_as_messages(fake: FakeBotApi) -> None:
    async def scenario() -> bytes:
        async with bot_for(fake) as bot:
            venue = await bot.send_venue(CHAT, 49.28, -123.12, "Eastside Library", "1420 Main St")
            assert venue.venue and venue.venue.title == "Eastside Library"
            assert venue.location and venue.location.latitude == 49.28
            where = await bot.send_location(CHAT, 49.28, -123.12)
            assert where.location and where.location.longitude == -123.12
            poster = await bot.send_photo(CHAT, InputFile(b"PNG poster", filename="p.png"))
            assert poster.photo and poster.caption is None
            file = await bot.get_file(poster.photo[-1].file_id)
            return bytes(await file.download_as_bytearray())

    assert asyncio.run(scenario()) == b"PNG poster"
    assert fake.calls("sendPhoto")[0].params["photo"].filename == "p.png"
    assert [m["message_id"] for m in fake.bot_messages(CHAT)] == [1, 2, 3]


def test_commands_actions_and_unknown_methods(fake: FakeBotApi) -> None:
    async def scenario() -> None:
        async with bot_for(fake) as bot:
            await bot.set_my_commands([BotCommand("start", "Start over"), ("help", "What I do")])
            groups = BotCommandScopeAllGroupChats()
            await bot.set_my_commands([("handoff", "Talk to a navigator")], scope=groups)
            assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
            assert [c.command for c in await bot.get_my_commands(scope=groups)] == ["handoff"]
            with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
                await bot.set_my_commands([("Start", "Capital letters are refused")])
            assert await bot.send_chat_action(CHAT, ChatAction.FIND_LOCATION)
            assert await bot.set_my_description("Finds learning opportunities")
            assert await bot.do_api_request("someFutureMethod", api_kwargs={"x": 1}) is True

    asyncio.run(scenario())
    assert fake.calls("sendChatAction")[0].params == {"chat_id": CHAT, "action": "find_location"}
    assert fake.calls("setMyCommands")[0].params["commands"][0] == {
        "command": "start",
        "description": "Start over",
    }
    assert fake.calls("setMyDescription")[0].params == {
        "description": "Finds learning opportunities"
    }
    assert fake.calls("someFutureMethod") == [ApiCall("someFutureMethod", {"x": 1})]


def test_answering_an_unknown_callback_query_is_refused(fake: FakeBotApi) -> None:
    update = fake.push_callback(CHAT, "details:1", 1)

    async def scenario() -> None:
        async with bot_for(fake) as bot:
            assert await bot.answer_callback_query(update["callback_query"]["id"], text="OK")
            with pytest.raises(BadRequest, match=r"(?i)query is too old"):
                await bot.answer_callback_query("123")

    asyncio.run(scenario())


def test_wait_for_times_out_with_the_calls_it_saw(fake: FakeBotApi) -> None:
    async def scenario() -> None:
        async with bot_for(fake):
            pass

    asyncio.run(scenario())
    started = time.monotonic()
    with pytest.raises(TimeoutError, match=r"sendMessage.*\['getMe'\]"):
        fake.wait_for("sendMessage", timeout=0.2)
    assert time.monotonic() - started < 1.0
    fake.clear()
    assert fake.calls() == []


def test_webhook_updates_arrive_with_the_secret_token(fake: FakeBotApi) -> None:
    received: list[tuple[str | None, Any]] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            secret = self.headers.get("X-Telegram-Bot-Api-Secret-Token")
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.append((secret, body))
            self.send_response(200 if secret == "s3cret" else 403)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/telegram"
    try:

        async def scenario() -> None:
            async with bot_for(fake) as bot:
                await bot.set_webhook(url, secret_token="s3cret")
                info = await bot.get_webhook_info()
                assert (info.url, info.pending_update_count) == (url, 0)

        asyncio.run(scenario())
        update = fake.push_text(CHAT, "hi")
        assert fake.deliver_webhook(update) == 200
        assert post_update_to(url, update, "wrong") == 403
    finally:
        server.shutdown()
        server.server_close()
    assert received == [("s3cret", update), ("wrong", update)]
