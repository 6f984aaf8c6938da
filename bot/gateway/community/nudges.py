"""Messages the bot starts: freshness nudges ("Still running Saturday Robotics?") with one-tap
answers, and the organisers' decisions on members' changes (approved, or rejected with the
reason), whichever path decided them (chat, CLI or API).

Both jobs run from the housekeeping (bot.gateway.housekeeping) every WAYFINDER_NUDGE_INTERVAL_S, on
one gateway at a time, and can be called directly. Each message is claimed in the database before
it is sent (at most once: a crash between the two loses that message rather than repeating it); a
decision that could not be sent is released again and retried on the next run. The claim locks no
row, so two runs at once would both send: the housekeeping's lease keeps them apart.
"""

from __future__ import annotations

import logging
from datetime import date

from sqlalchemy.orm import Session

from bot.gateway.community.common import CommunityContext, payload
from bot.gateway.community.constants import Verb
from bot.gateway.community.mylistings import Listings
from bot.gateway.core import Gateway
from bot.gateway.messages import BotMessage, Button
from bot.gateway.texts import say
from knowledge.editing.fields import FIELDS
from knowledge.editing.review import decisions_to_tell, mark_told
from knowledge.editing.stale_nudges import answer_nudge, due_nudges, record_nudge
from knowledge.models import ChangeRequest, Member

logger = logging.getLogger(__name__)
NUDGES_PER_MEMBER = 5  # per run, so a member with many stale listings is not flooded at once


def nudge_message(nudge_id: int, title: str, provider: str) -> BotMessage:
    """The question and its three answers."""
    buttons = (
        Button(say("button_still_running"), payload(Verb.NUDGE_ANSWER, nudge_id, "running")),
        Button(say("button_changed"), payload(Verb.NUDGE_ANSWER, nudge_id, "changed")),
        Button(say("button_ended"), payload(Verb.NUDGE_ANSWER, nudge_id, "ended")),
    )
    return BotMessage(say("nudge_question", title=title, provider=provider), buttons)


async def send_nudges(gateway: Gateway, *, today: date | None = None) -> int:
    """Ask members about their providers' listings not confirmed for FRESHNESS_DAYS; returns how
    many questions went out."""
    outlet = gateway.telegram
    if outlet is None:
        return 0
    day = today or date.today()
    days = gateway.settings.freshness_days

    def claim(session: Session) -> list[tuple[str, BotMessage]]:
        asked: dict[int, int] = {}
        questions = []
        for due in due_nudges(session, today=day, days=days):
            member, listing = due.member, due.opportunity
            if asked.get(member.id, 0) >= NUDGES_PER_MEMBER:
                continue  # the rest are still due next time
            asked[member.id] = asked.get(member.id, 0) + 1
            nudge = record_nudge(session, member, listing)
            message = nudge_message(nudge.id, listing.title, listing.provider.name)
            questions.append((str(member.telegram_user_id), message))
        return questions

    sent = 0
    for address, message in await gateway.db(claim):
        try:
            await outlet.send(address, [message])
            sent += 1
        except Exception as error:  # blocked the bot, or Telegram is down: asked again later
            logger.warning("could not send a freshness nudge: %s", error)
    return sent


def decision_text(request: ChangeRequest) -> str:
    """What the member hears about their request."""
    if request.kind == "import":
        what = say("what_import", name=request.changes.get("name", ""))
    elif request.kind == "create":
        what = say("what_create", title=request.changes.get("title", ""))
    else:
        title = request.opportunity.title if request.opportunity else say("what_deleted")
        fields = ", ".join(
            FIELDS[name].label if name in FIELDS else str(name) for name in request.changes
        )
        what = say("what_update", title=title, fields=fields)
    if request.state == "approved":
        return say("decision_approved", what=what)
    return say("decision_rejected", what=what, reason=request.reason or "")


async def tell_decisions(gateway: Gateway) -> int:
    """Tell members on Telegram what the organisers decided; returns how many were told."""
    outlet = gateway.telegram
    if outlet is None:
        return 0

    def claim(session: Session) -> list[tuple[int, str, str]]:
        told = []
        for request in decisions_to_tell(session):
            assert request.member is not None  # decisions_to_tell joins the member
            told.append((request.id, str(request.member.telegram_user_id), decision_text(request)))
            mark_told(request)
        return told

    failed: list[int] = []
    told = await gateway.db(claim)
    for request_id, address, text in told:
        try:
            await outlet.send(address, [BotMessage(text)])
        except Exception as error:
            logger.warning("could not tell a member about request %s: %s", request_id, error)
            failed.append(request_id)

    def release(session: Session) -> None:
        for request_id in failed:
            request = session.get(ChangeRequest, request_id)
            if request is not None:
                request.told_at = None

    if failed:
        await gateway.db(release)
    return len(told) - len(failed)


async def run_jobs(gateway: Gateway) -> None:
    """The housekeeping loop's community work; failures are logged, never raised."""
    try:
        await send_nudges(gateway)
    except Exception:
        logger.exception("sending freshness nudges failed; trying again next time")
    try:
        await tell_decisions(gateway)
    except Exception:
        logger.exception("telling members about decisions failed; trying again next time")


class Nudges:
    """A member's tap on a nudge's answer."""

    def __init__(self, kit: CommunityContext, listings: Listings) -> None:
        self.kit = kit
        self.listings = listings

    async def answer(self, user_id: int, chat_id: int, nudge_id: int, answer: str) -> None:
        """Running: confirmed in one tap. Ended: closed (or sent for review). Changed: the edit."""
        today = self.kit.today()

        def work(session: Session, member: Member) -> tuple[int, str, bool]:
            nudge, outcome = answer_nudge(session, nudge_id, member, answer, today=today)
            published = outcome is None or outcome.published
            return nudge.opportunity_id, nudge.opportunity.title, published

        listing_id, title, published = await self.kit.as_member(user_id, work)
        if answer == "running":
            await self.kit.send(chat_id, say("nudge_running", title=title))
        elif answer == "ended":
            key = "nudge_ended" if published else "nudge_ended_pending"
            await self.kit.send(chat_id, say(key, title=title))
        else:
            await self.kit.send(chat_id, say("nudge_changed", title=title))
            await self.listings.show(user_id, chat_id, listing_id)
