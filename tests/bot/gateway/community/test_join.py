"""/join CODE: a single-use, expiring invite makes a Telegram user a provider member."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.gateway.texts import say
from knowledge.models import Invite, Member, utcnow
from tests.bot.gateway.community.conftest import LEARNER, Bot, Directory, invite_code

NEWCOMER = 5151
SOMEONE_ELSE = 6161


def member(sessions: sessionmaker[Session], user_id: int) -> tuple[str, list[str]] | None:
    with sessions() as session:
        found = session.scalar(select(Member).where(Member.telegram_user_id == str(user_id)))
        return (found.role, [p.name for p in found.providers]) if found else None


def test_a_good_code_makes_a_member_and_works_only_once(
    bot: Bot, sessions: sessionmaker[Session], directory: Directory
) -> None:
    code = invite_code(sessions, directory.library)
    bot.text(NEWCOMER, f"/join {code.lower()}")
    assert bot.last(NEWCOMER) == say("join_provider", providers="Eastside Library")
    assert member(sessions, NEWCOMER) == ("provider", ["Eastside Library"])

    bot.text(SOMEONE_ELSE, f"/join {code}")
    assert "already been used" in bot.last(SOMEONE_ELSE)
    assert member(sessions, SOMEONE_ELSE) is None

    bot.text(NEWCOMER, "/mylistings")  # the new member's listings, as buttons
    assert "Story Time" in str(bot.fake.bot_messages(NEWCOMER)[-1]["reply_markup"])


def test_a_bad_or_expired_code_is_explained(
    bot: Bot, sessions: sessionmaker[Session], directory: Directory
) -> None:
    bot.text(NEWCOMER, "/join NOPE-NOPE1")
    assert "not one we issued" in bot.last(NEWCOMER)
    bot.text(NEWCOMER, "/join")
    assert bot.last(NEWCOMER) == say("join_how")
    code = invite_code(sessions, directory.club)
    with sessions.begin() as session:
        for invite in session.scalars(select(Invite)):
            invite.expires_at = utcnow() - timedelta(minutes=1)
    bot.text(NEWCOMER, f"/join {code}")
    assert "expired" in bot.last(NEWCOMER)
    assert member(sessions, NEWCOMER) is None


def test_an_organiser_invite_opens_review(
    bot: Bot, sessions: sessionmaker[Session], directory: Directory
) -> None:
    bot.text(LEARNER, f"/join {invite_code(sessions, None)}")
    assert bot.last(LEARNER) == say("join_organiser")
    bot.text(LEARNER, "/review")
    assert bot.last(LEARNER) == say("review_empty")
