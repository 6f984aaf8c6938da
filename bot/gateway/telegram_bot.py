"""Wayfinder on Telegram, with python-telegram-bot: learners in private chats, navigators in their
group. Every learner message goes through bot.gateway.core; this module only translates.

Long polling by default; webhook mode when TELEGRAM_WEBHOOK_URL is set (the gateway's web server
receives the updates and checks Telegram's secret-token header, see bot.gateway.app). Either way
each update is handled once and a chat's updates in order, and only one gateway polls
(bot.gateway.telegram_updates); chat locks and long button payloads are shared by every gateway
when Redis is set (bot.gateway.shared).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from telegram import (
    BotCommand,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from bot.gateway.community import Community
from bot.gateway.core import Gateway
from bot.gateway.messages import BotMessage
from bot.gateway.pins import share_location
from bot.gateway.plan_files import send_telegram_files
from bot.gateway.shared.stash import PayloadStash
from bot.gateway.telegram_format import keyboard, split, to_html
from bot.gateway.telegram_updates import REDELIVERED, JournaledQueue, OnceInOrder
from bot.gateway.texts import say
from bot.gateway.timings import BOT_API_SECONDS
from bot.observability.metrics import counted_bot_api
from knowledge.locales import SOURCE_LANGUAGE, supported_codes, text

logger = logging.getLogger(__name__)
JSONDict = dict[str, Any]
CHANNEL = "telegram"
SEND_ATTEMPTS = 3
CONCURRENT_UPDATES = 256  # updates handled at once (python-telegram-bot's default when enabled)
# Commands learners can type; each becomes the intent it names (Rasa reads "/intent" payloads).
# What the menu says of each (and of /start) is in locales/<language>/telegram.yml.
COMMANDS = {
    "help": "/help",
    "plan": "/show_plan",
    "forget": "/forget_me",
    "human": "/talk_to_human",
    "privacy": "/privacy",  # the gateway answers it (core.PRIVACY)
    "language": "/choose_language",
}
COMMANDS_BOOK = "telegram"
MEDIA = (
    filters.PHOTO
    | filters.VOICE
    | filters.Sticker.ALL
    | filters.Document.ALL
    | filters.VIDEO
    | filters.AUDIO
    | filters.VIDEO_NOTE
    | filters.ANIMATION
    | filters.CONTACT
)
# The last reply's request for a place offers the location button (see `wants_location`).
ASKS_FOR_PLACE = "ask_location"


class MessageRateLimiter(AIORateLimiter):
    """Telegram's limits (30 messages/s overall, 20/min per group, retries on 429) for messages;
    the typing indicator is not a message and does not wait behind them."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        """Send chat actions at once; everything else through AIORateLimiter."""
        if endpoint == "sendChatAction":
            return await callback(*args, **kwargs)
        return await super().process_request(
            callback, args, kwargs, endpoint, data, rate_limit_args
        )


class TimedRequest(HTTPXRequest):
    """The Bot API's HTTP client, adding each call's wait to BOT_API_SECONDS, so the gateway's
    own time per message can be told apart from Telegram's (and the network's)."""

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        started = time.perf_counter()
        try:
            return await counted_bot_api(super().do_request(*args, **kwargs))  # 429s, failures
        finally:
            BOT_API_SECONDS.set(BOT_API_SECONDS.get() + time.perf_counter() - started)


class TelegramOutlet:
    """Sends bot messages to a chat: HTML, split at the limit, keyboards, retries."""

    def __init__(
        self, application: Application[Any, Any, Any, Any, Any, Any], stash: PayloadStash
    ) -> None:
        self.application = application
        self.stash = stash  # long button payloads, shared by every gateway when Redis is set

    async def send(
        self, address: str, messages: Sequence[BotMessage], language: str | None = None
    ) -> None:
        """Deliver messages in order to one chat; `language` is the location button's."""
        for message in messages:
            markup: Any = await keyboard(message.buttons, self.stash)
            if markup is None and wants_location(message):
                markup = location_keyboard(language)
            if not message.text:
                continue
            pieces = split(message.text)
            for number, piece in enumerate(pieces, start=1):
                await self._send_text(
                    int(address), to_html(piece), markup if number == len(pieces) else None
                )

    async def post(self, chat_id: str, text: str) -> int:
        """A plain message (to the navigators' group); its id."""
        sent = await self._send_text(int(chat_id), to_html(text), None)
        return sent.message_id

    async def _send_text(self, chat_id: int, text: str, markup: Any) -> Message:
        """send_message with retries on network errors (the rate limiter retries 429s)."""
        for attempt in range(1, SEND_ATTEMPTS + 1):
            try:
                sent: Message = await self.application.bot.send_message(
                    chat_id,
                    text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                    disable_web_page_preview=True,
                )
                return sent
            except RetryAfter as error:  # only when the rate limiter gave up
                if attempt == SEND_ATTEMPTS:
                    raise
                wait = error.retry_after
                await asyncio.sleep(
                    wait.total_seconds() if hasattr(wait, "total_seconds") else float(wait)
                )
            except (TimedOut, NetworkError):
                if attempt == SEND_ATTEMPTS:
                    raise
                await asyncio.sleep(0.5 * attempt)
        raise AssertionError("unreachable")


def wants_location(message: BotMessage) -> bool:
    """Whether the assistant is asking where the learner is (a response marked ask_location)."""
    return bool(message.custom.get(ASKS_FOR_PLACE))


def location_keyboard(language: str | None = None) -> ReplyKeyboardMarkup:
    """A one-tap 'share my location' button under the text field."""
    button = KeyboardButton(say("share_location_button", language), request_location=True)
    return ReplyKeyboardMarkup([[button]], resize_keyboard=True, one_time_keyboard=True)


class TelegramChannel:
    """The handlers, bound to one gateway and one outlet."""

    def __init__(self, gateway: Gateway, outlet: TelegramOutlet) -> None:
        self.gateway = gateway
        self.outlet = outlet
        self._locks = gateway.shared.locks  # by chat: "chat:<id>", across gateways with Redis

    def install(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Register every handler; order matters where noted."""
        navigators = self.gateway.settings.navigator_chat_id
        # New messages only: an edit (a typo fixed, a live location moving) arrives again as an
        # edited_message, and answering it would relay or search a second time.
        new = filters.UpdateType.MESSAGE
        if navigators:  # the navigators' group first: nothing there goes to the assistant
            group = filters.Chat(chat_id=int(navigators)) & new
            application.add_handler(CommandHandler("done", self.navigator_done, filters=group))
            application.add_handler(MessageHandler(group & filters.TEXT, self.navigator_message))
            application.add_handler(MessageHandler(group, self.ignore))
        private = filters.ChatType.PRIVATE & new
        # Provider members' commands, buttons, documents and guided steps before the learners'.
        Community(self.gateway, self.outlet).install(application)
        application.add_handler(CommandHandler("start", self.start, filters=private))
        for command in COMMANDS:
            application.add_handler(CommandHandler(command, self.command, filters=private))
        application.add_handler(CallbackQueryHandler(self.button))
        application.add_handler(MessageHandler(private & filters.LOCATION, self.location))
        application.add_handler(MessageHandler(private & filters.TEXT, self.text))
        application.add_handler(MessageHandler(private & MEDIA, self.media))
        application.add_error_handler(self.error)

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/start, also from a poster's deep link (/start robotics): a greeting or that search."""
        words = " ".join(context.args or []).replace("_", " ").replace("-", " ").strip()
        await self._converse(update, words or "/greet")

    async def command(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """/help, /plan, /forget, /human, /privacy, /language: the payload each names."""
        assert update.effective_message is not None
        name = (update.effective_message.text or "").split()[0].lstrip("/").split("@")[0]
        await self._converse(update, COMMANDS[name])

    async def text(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """A typed message."""
        assert update.effective_message is not None
        await self._converse(update, update.effective_message.text or "")

    async def location(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """A shared pin: a search near it, as the share_location intent with coordinates."""
        assert update.effective_message is not None and update.effective_message.location
        pin = update.effective_message.location
        await self._converse(update, share_location(pin.latitude, pin.longitude))

    async def button(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """A tapped button: acknowledge, disable the keyboard, send its payload."""
        query = update.callback_query
        assert query is not None
        await query.answer()
        if query.message is not None:
            try:
                await query.edit_message_reply_markup(reply_markup=None)
            except TelegramError as error:  # already edited (a double tap): nothing to undo
                logger.info("could not remove a keyboard: %s", error)
        payload = await self.outlet.stash.payload_for(query.data or "")
        if payload is None:
            await self._say(update, "stale_button")
            return
        await self._converse(update, payload)

    async def media(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """Photos, voice, stickers, files: say what we can read instead of staying silent."""
        await self._say(update, "unsupported_media")

    async def navigator_message(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """A navigator's message in the group: a reply to a request goes to its learner."""
        await self._navigator(update, done=False)

    async def navigator_done(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """/done as a reply to a request: close it."""
        await self._navigator(update, done=True)

    async def ignore(self, _update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """Anything else in the navigators' group is theirs, not ours."""

    async def error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """One global error handler: log it; the update's user gets the apology if possible."""
        logger.error("a Telegram update failed", exc_info=context.error)
        if isinstance(update, Update) and update.effective_chat is not None:
            try:
                await self._say(update, "rasa_unavailable")
            except TelegramError:
                logger.warning("could not send the apology either")

    async def _navigator(self, update: Update, *, done: bool) -> None:
        """Relay or close, and answer in the group when there is something to say."""
        message = update.effective_message
        assert message is not None and update.effective_chat is not None
        reply_to = message.reply_to_message.message_id if message.reply_to_message else None
        text = message.text or ""
        result = await self.gateway.handoffs.from_navigator(
            str(update.effective_chat.id), reply_to, text, done
        )
        if result.reply:
            await message.reply_text(result.reply)

    async def _converse(self, update: Update, text: str) -> None:
        """Show 'typing…', ask the gateway, send the replies; one chat at a time, in order."""
        chat = update.effective_chat
        assert chat is not None and chat.type == ChatType.PRIVATE
        async with self._locks.hold(f"chat:{chat.id}"):
            started = time.perf_counter()
            # "typing…" goes out while the assistant thinks, not before it starts.
            typing = asyncio.create_task(self._typing(chat.id))
            hint = language_code(update)
            replies = await self.gateway.converse(
                CHANNEL,
                str(chat.id),
                text,
                hint=hint,
                message_id=f"tg-{update.update_id}",  # the assistant's key against a repeat
                redelivered=REDELIVERED.get(),  # it may have reached the assistant before
            )
            waiting = time.perf_counter()
            await typing  # still on its way to the Bot API only if Telegram is slower than Rasa
            BOT_API_SECONDS.set(BOT_API_SECONDS.get() + time.perf_counter() - waiting)
            language = None  # only the location button has words of ours, in the turn's language
            if any(wants_location(reply) for reply in replies):
                language = await self.gateway.chat_language(CHANNEL, str(chat.id), hint)
            await self._reply(update, replies, language)
            await send_telegram_files(self.gateway, self.outlet.application.bot, chat.id, replies)
            self.gateway.timings.record(CHANNEL, time.perf_counter() - started)

    async def _typing(self, chat_id: int) -> None:
        """The typing indicator: a nicety, so a failure is only logged."""
        try:
            await self.outlet.application.bot.send_chat_action(chat_id, ChatAction.TYPING)
        except TelegramError as error:
            logger.info("no typing indicator for a chat: %s", error)

    async def _say(self, update: Update, key: str) -> None:
        """One of the gateway's own texts, in the learner's language, to the update's chat."""
        assert update.effective_chat is not None
        chat = str(update.effective_chat.id)
        language = await self.gateway.chat_language(CHANNEL, chat, language_code(update))
        await self._reply(update, [BotMessage(say(key, language))])

    async def _reply(
        self, update: Update, messages: Sequence[BotMessage], language: str | None = None
    ) -> None:
        """Send messages to the update's chat."""
        assert update.effective_chat is not None
        await self.outlet.send(str(update.effective_chat.id), messages, language)


def language_code(update: Update) -> str | None:
    """The language the learner's Telegram app is set to (a BCP 47 tag), the channel's hint."""
    user = update.effective_user
    return user.language_code if user is not None else None


def build_application(
    gateway: Gateway, *, updater: bool = True
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The python-telegram-bot Application for the gateway's settings (token, API URL)."""
    settings = gateway.settings
    assert settings.telegram_token is not None
    builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = (
        ApplicationBuilder()
        .token(settings.telegram_token)
        .rate_limiter(MessageRateLimiter(max_retries=3))
        .request(TimedRequest(connection_pool_size=256))  # PTB's default client, timed
        # Chats side by side, each chat's updates in order, each update once (across gateways).
        .concurrent_updates(
            OnceInOrder(gateway.shared.updates, CONCURRENT_UPDATES, gateway.shared.journal)
        )
    )
    if settings.telegram_api_url:  # a local fake Bot API server in tests
        base = settings.telegram_api_url.rstrip("/")
        builder = builder.base_url(f"{base}/bot").base_file_url(f"{base}/file/bot")
    if updater:  # polled updates are written down before getUpdates confirms them
        builder = builder.update_queue(JournaledQueue(gateway.shared.journal))
    else:
        builder = builder.updater(None)
    application = builder.build()
    outlet = TelegramOutlet(application, gateway.shared.stash)
    TelegramChannel(gateway, outlet).install(application)
    gateway.telegram = outlet
    return application


async def set_commands(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """The command menu Telegram shows learners: one per language for apps set to it, and the
    source language's for everyone else."""
    for code in supported_codes():
        await application.bot.set_my_commands(command_menu(code), language_code=code)
    await application.bot.set_my_commands(command_menu(SOURCE_LANGUAGE))


def command_menu(language: str) -> list[BotCommand]:
    """/start and the learners' commands, described in `language`."""
    names = ["start", *COMMANDS]
    return [BotCommand(name, text(language, COMMANDS_BOOK, name)) for name in names]
