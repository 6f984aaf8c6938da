"""Provider members and organisers in the same Telegram bot as learners, told apart by a Member
row with their Telegram user id: /join, /mylistings, /newlisting, spreadsheet documents, /review
and the freshness nudges. Every rule and write is the domain layer's (knowledge.editing); this
package only asks, previews and relays.

Learners are untouched: their messages reach the assistant as before. Only /join, /mylistings,
/newlisting and /review (a short "for provider members" answer for learners), `pv:` buttons and
documents (learners keep the usual media answer) are handled here, and a member's text while a
guided step waits for a value (bot.gateway.shared.steps: on any gateway when Redis is set).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.gateway.community.common import CommunityContext, field_problems
from bot.gateway.community.constants import PREFIX, Previewed, StepKind, Verb
from bot.gateway.community.join import Join
from bot.gateway.community.members import NotMember
from bot.gateway.community.mylistings import Listings
from bot.gateway.community.newlisting import NewListing
from bot.gateway.community.nudges import Nudges, run_jobs, send_nudges, tell_decisions
from bot.gateway.community.review import Review
from bot.gateway.community.upload import Upload
from bot.gateway.core import Gateway
from bot.gateway.outbox import Outlet
from bot.gateway.shared.steps import Steps
from bot.gateway.texts import say
from knowledge.community import AccessError
from knowledge.editing.member_edits import ChangeRefused, StaleVersion

__all__ = ["Community", "run_jobs", "send_nudges", "tell_decisions"]
logger = logging.getLogger(__name__)
Work = Callable[[int, int], Awaitable[None]]
# Handlers for a member in a guided step run before everyone else's (group 0): they look the step
# up (it may be in Redis, which a filter cannot wait for) and stop the update there if one is open.
STEP_GROUP = -1


class BadPayload(Exception):
    """Callback data that is not one of ours (made up, or from an older version)."""


class Community:
    """The provider and organiser handlers, bound to one gateway and one outlet."""

    def __init__(self, gateway: Gateway, outlet: Outlet, steps: Steps | None = None) -> None:
        self.kit = CommunityContext(
            gateway, outlet, gateway.shared.steps if steps is None else steps
        )
        self.join = Join(self.kit)
        self.listings = Listings(self.kit)
        self.new = NewListing(self.kit)
        self.review = Review(self.kit)
        self.upload = Upload(self.kit)
        self.nudges = Nudges(self.kit, self.listings)
        self._locks = gateway.shared.locks  # by Telegram user: "member:<id>"

    def install(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Register the handlers; call before the learners' (the first matching handler wins)."""
        private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE  # edits are not new
        application.add_handler(
            CommandHandler("cancel", self.on_cancel, filters=private), group=STEP_GROUP
        )
        application.add_handler(
            MessageHandler(private & filters.TEXT & ~filters.COMMAND, self.on_step_text),
            group=STEP_GROUP,
        )
        commands = {
            "join": self.on_join,
            "mylistings": self.on_mylistings,
            "newlisting": self.on_newlisting,
            "review": self.on_review,
        }
        for name, callback in commands.items():
            application.add_handler(CommandHandler(name, callback, filters=private))
        application.add_handler(CallbackQueryHandler(self.on_button, pattern=f"^{PREFIX}:"))
        application.add_handler(MessageHandler(private & filters.Document.ALL, self.on_document))

    async def on_join(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/join CODE."""
        code = " ".join(context.args or [])
        name = update.effective_user.full_name if update.effective_user else None
        await self._guarded(update, lambda user, chat: self.join.join(user, chat, code, name))

    async def on_mylistings(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """/mylistings."""
        await self._guarded(update, self.listings.pick)

    async def on_newlisting(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """/newlisting."""
        await self._guarded(update, self.new.start)

    async def on_review(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """/review: organisers only; anyone else hears so plainly."""

        async def work(user: int, chat: int) -> None:
            try:
                await self.review.show(user, chat)
            except (NotMember, AccessError):
                await self.kit.send(chat, say("review_organisers_only"))

        await self._guarded(update, work)

    async def on_cancel(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """/cancel during a step: leave it, nothing saved (otherwise the learners' handlers get
        it)."""
        if await self._in_step(update):
            await self._guarded(update, self._cancel)
            raise ApplicationHandlerStop

    async def on_step_text(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """A member's text while a step waits for it (otherwise the learners' handlers get it)."""
        if await self._in_step(update):
            text = update.effective_message.text if update.effective_message else None
            await self._guarded(update, lambda user, chat: self._answer(user, chat, text or ""))
            raise ApplicationHandlerStop

    async def _in_step(self, update: Update) -> bool:
        """Whether the sender has an open step."""
        user = update.effective_user
        return user is not None and await self.kit.steps.get(user.id) is not None

    async def on_document(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """A file: a member's spreadsheet, or the learners' media answer."""
        message = update.effective_message
        assert message is not None and message.document is not None
        document, caption = message.document, message.caption or ""
        await self._guarded(
            update, lambda user, chat: self.upload.document(user, chat, document, caption)
        )

    async def on_button(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """A `pv:` button: acknowledge, disable the keyboard, act (every action re-checks who may
        do it, since callback data can be forged)."""
        query = update.callback_query
        assert query is not None
        await query.answer()
        if query.message is not None:
            try:
                await query.edit_message_reply_markup(reply_markup=None)
            except TelegramError as error:  # a double tap: already removed
                logger.info("could not remove a keyboard: %s", error)
        verb, *args = (query.data or "").split(":")[1:] or [""]
        await self._guarded(update, lambda user, chat: self._button(user, chat, verb, args))

    async def _button(self, user: int, chat: int, verb: str, args: list[str]) -> None:
        """Route a button's verb and arguments to its step; malformed data is a stale button."""
        try:
            await self._route(user, chat, verb, args)
        except BadPayload:
            await self.kit.send(chat, say("stale_button"))

    async def _route(self, user: int, chat: int, verb: str, args: list[str]) -> None:
        """The button table."""
        parsed = [int(arg) if arg.isascii() and arg.isdigit() else arg for arg in args]
        match verb, parsed:
            case Verb.LISTINGS_PAGE, [int(page)]:
                await self.listings.pick(user, chat, page)
            case Verb.LISTING, [int(listing)]:
                await self.listings.show(user, chat, listing)
            case Verb.FIELD, [int(listing), str(field)]:
                await self.listings.ask(user, chat, listing, field)
            case Verb.TOGGLE, [int(listing)]:
                await self.listings.toggle(user, chat, listing)
            case Verb.OTHER_FIELDS, [int(listing)]:
                await self.listings.other(user, chat, listing)
            case Verb.VALUE, [value]:
                await self._answer(user, chat, str(value))
            case Verb.SKIP, []:
                await self._skip(user, chat)
            case Verb.CONFIRM, []:
                await self._confirm(user, chat)
            case Verb.CANCEL, []:
                await self._cancel(user, chat)
            case Verb.NEW_FOR_PROVIDER, [int(provider)]:
                await self.new.for_provider(user, chat, provider)
            case Verb.APPROVE, [int(request)]:
                await self.review.approve(user, chat, request)
            case Verb.REJECT, [int(request)]:
                await self.review.ask_reason(user, chat, request)
            case Verb.NEXT_REQUEST, [int(request)]:
                await self.review.show(user, chat, after=request)
            case Verb.NUDGE_ANSWER, [int(nudge), str(answer)]:
                await self.nudges.answer(user, chat, nudge, answer)
            case _:
                raise BadPayload(verb)

    async def _answer(self, user: int, chat: int, text: str) -> None:
        """A typed (or tapped) value for the open step."""
        step = await self.kit.steps.get(user)
        if step is None:
            await self.kit.send(chat, say("step_expired"))
        elif step.kind == StepKind.VALUE:
            await self.listings.value(user, chat, step, text)
        elif step.kind == StepKind.NEW:
            await self.new.answer(user, chat, step, text)
        elif step.kind == StepKind.REASON:
            await self.review.reason(user, chat, step, text)
        else:
            await self.kit.send(chat, say("confirm_or_cancel"))

    async def _skip(self, user: int, chat: int) -> None:
        """Skip an optional field of a new listing."""
        step = await self.kit.steps.get(user)
        if step is None or step.kind != StepKind.NEW:
            await self.kit.send(chat, say("step_expired"))
            return
        await self.new.answer(user, chat, step, None)

    async def _confirm(self, user: int, chat: int) -> None:
        """Confirm a preview (the step is closed first, so a double tap saves once)."""
        step = await self.kit.steps.take(user)
        if step is None or step.kind != StepKind.CONFIRM:
            await self.kit.send(chat, say("step_expired"))
        elif step.data["what"] == Previewed.NEW:
            await self.new.confirm(user, chat, step)
        else:
            await self.listings.confirm(user, chat, step)

    async def _cancel(self, user: int, chat: int) -> None:
        """Leave the step; nothing was saved."""
        await self.kit.steps.clear(user)
        await self.kit.send(chat, say("cancelled"))

    async def _guarded(self, update: Update, work: Work) -> None:
        """Run one member action, one at a time per user; refusals are explained, not raised."""
        user, chat = update.effective_user, update.effective_chat
        if user is None or chat is None:
            return
        async with self._locks.hold(f"member:{user.id}"):
            try:
                await work(user.id, chat.id)
            except NotMember:
                await self.kit.send(chat.id, say("members_only"))
            except ChangeRefused as refused:
                problems = field_problems(refused.problems)
                await self.kit.send(chat.id, say("change_refused", problems=problems))
            except StaleVersion:
                await self.kit.send(chat.id, say("stale_version"))
            except AccessError as error:
                await self.kit.send(chat.id, say("refused", reason=error))
