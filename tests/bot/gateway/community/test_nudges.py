"""Freshness nudges: sent for stale listings, once; one tap confirms, "it ended" closes (or asks
the organisers), "something changed" opens the edit; the settings and step time-out."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.gateway import housekeeping
from bot.gateway.community import send_nudges
from bot.gateway.core import Gateway
from bot.gateway.housekeeping import Housekeeping
from bot.gateway.settings import GatewaySettings
from bot.gateway.texts import say
from knowledge.editing.member_edits import edit_listing
from knowledge.editing.review import reject_request
from knowledge.history import Actor
from knowledge.models import ChangeRequest, FreshnessNudge, Member, Opportunity
from tests.bot.gateway.community.conftest import LIBRARIAN, VOLUNTEER, Bot, Directory
from tests.bot.gateway.conftest import Backend, RecordingOutlet, ScriptedRasa, recorded
from tests.fakes.telegram_api import iter_buttons


def make_stale(sessions: sessionmaker[Session], listing_id: int) -> None:
    with sessions.begin() as session:
        listing = session.get(Opportunity, listing_id)
        assert listing is not None
        listing.assured_date = date.today() - timedelta(days=100)


def listing(sessions: sessionmaker[Session], listing_id: int) -> Opportunity:
    with sessions() as session:
        found = session.get(Opportunity, listing_id)
        assert found is not None
        return found


def test_a_stale_listing_is_nudged_once_and_yes_confirms_it_in_one_tap(
    bot: Bot, sessions: sessionmaker[Session], directory: Directory
) -> None:
    make_stale(sessions, directory.story_time)
    assert bot.run(send_nudges(bot.gateway)) == 1
    question = bot.fake.bot_messages(LIBRARIAN)[-1]
    assert question["text"] == say(
        "nudge_question", title="Story Time", provider="Eastside Library"
    )
    assert [b["text"] for b in iter_buttons(question["reply_markup"])] == [
        say("button_still_running"),
        say("button_changed"),
        say("button_ended"),
    ]
    assert bot.fake.bot_messages(VOLUNTEER) == []  # Robot Club's listing is fresh
    assert bot.run(send_nudges(bot.gateway)) == 0  # asked already

    bot.tap(LIBRARIAN, say("button_still_running"))
    assert bot.last(LIBRARIAN) == say("nudge_running", title="Story Time")
    assert listing(sessions, directory.story_time).assured_date == date.today()
    bot.feed(bot.fake.push_callback(LIBRARIAN, "pv:n:1:ended", int(question["message_id"])))
    assert "already answered" in bot.last(LIBRARIAN)
    assert listing(sessions, directory.story_time).status == "active"


def test_something_changed_opens_the_edit(
    bot: Bot, sessions: sessionmaker[Session], directory: Directory
) -> None:
    make_stale(sessions, directory.story_time)
    bot.run(send_nudges(bot.gateway))
    bot.tap(LIBRARIAN, say("button_changed"))
    assert bot.last(LIBRARIAN).startswith("📋 Story Time — Eastside Library")
    bot.tap(LIBRARIAN, say("button_seats"))
    bot.text(LIBRARIAN, "3")
    bot.tap(LIBRARIAN, say("button_confirm"))
    saved = listing(sessions, directory.story_time)
    assert saved.seats_available == 3 and saved.assured_date == date.today()


def test_it_ended_for_an_unverified_provider_asks_the_organisers(
    bot: Bot, sessions: sessionmaker[Session], directory: Directory
) -> None:
    make_stale(sessions, directory.robots)
    bot.run(send_nudges(bot.gateway))
    bot.tap(VOLUNTEER, say("button_ended"))
    assert bot.last(VOLUNTEER) == say("nudge_ended_pending", title="Saturday Robotics")
    assert listing(sessions, directory.robots).status == "active"
    with sessions() as session:
        [request] = session.scalars(select(ChangeRequest)).all()
        assert request.changes == {"status": "inactive"}


def test_it_ended_closes_a_verified_providers_listing(
    bot: Bot, sessions: sessionmaker[Session], directory: Directory
) -> None:
    make_stale(sessions, directory.story_time)
    bot.run(send_nudges(bot.gateway))
    bot.tap(LIBRARIAN, say("button_ended"))
    assert bot.last(LIBRARIAN) == say("nudge_ended", title="Story Time")
    assert listing(sessions, directory.story_time).status == "inactive"


def test_another_members_nudge_cannot_be_answered(
    bot: Bot, sessions: sessionmaker[Session], directory: Directory
) -> None:
    make_stale(sessions, directory.story_time)
    bot.run(send_nudges(bot.gateway))
    bot.text(VOLUNTEER, "/mylistings")
    message_id = int(bot.fake.bot_messages(VOLUNTEER)[-1]["message_id"])
    bot.feed(bot.fake.push_callback(VOLUNTEER, "pv:n:1:ended", message_id))
    assert "not for you" in bot.last(VOLUNTEER)
    assert listing(sessions, directory.story_time).status == "active"
    with sessions() as session:
        nudge = session.get(FreshnessNudge, 1)
        assert nudge is not None and nudge.answer is None


def test_a_blocked_member_does_not_stop_the_others(
    bot: Bot, sessions: sessionmaker[Session], directory: Directory
) -> None:
    make_stale(sessions, directory.story_time)
    make_stale(sessions, directory.robots)
    bot.fake.block(LIBRARIAN)
    assert bot.run(send_nudges(bot.gateway)) == 1
    assert bot.fake.bot_messages(VOLUNTEER)[-1]["text"].startswith("👋 Still running")
    assert [error.status for error in bot.fake.errors()] == [403]
    bot.fake.clear()  # the refusal was the point


def test_the_interval_and_freshness_days_come_from_the_environment(tmp_path: Path) -> None:
    env = {"WAYFINDER_PSEUDONYM_KEY": "k" * 40}
    defaults = GatewaySettings.from_env(env, key_file=tmp_path / "key")
    assert (defaults.nudge_interval_s, defaults.freshness_days) == (3600, 60)
    env |= {"WAYFINDER_NUDGE_INTERVAL_S": "300", "FRESHNESS_DAYS": "30"}
    chosen = GatewaySettings.from_env(env, key_file=tmp_path / "key")
    assert (chosen.nudge_interval_s, chosen.freshness_days) == (300, 30)
    with pytest.raises(ValueError, match="WAYFINDER_NUDGE_INTERVAL_S"):
        GatewaySettings.from_env(
            env | {"WAYFINDER_NUDGE_INTERVAL_S": "hourly"}, key_file=tmp_path / "key"
        )


def test_the_housekeeping_loop_runs_the_jobs_once_per_interval(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Waits for rounds to happen rather than for time to pass: a busy CI machine is slow."""
    runs: list[Gateway] = []

    async def jobs(given: Gateway) -> None:
        runs.append(given)

    async def scenario() -> int:
        keeper = Housekeeping(gateway)
        rounds = 0
        five_done = asyncio.Event()
        run_round = keeper.round

        async def counted() -> bool:
            nonlocal rounds
            held = await run_round()
            rounds += 1
            if rounds >= 5:
                five_done.set()
            return held

        keeper.round = counted  # type: ignore[method-assign]
        keeper.start()
        await asyncio.wait_for(five_done.wait(), timeout=30)
        await keeper.stop()
        return rounds

    monkeypatch.setattr(housekeeping, "HOUSEKEEPING_S", 0.01)
    monkeypatch.setattr(housekeeping, "community_jobs", jobs)
    assert asyncio.run(scenario()) >= 5
    assert runs == [gateway]  # at the first round, then not again within the hour


def test_two_gateways_running_the_jobs_at_once_nudge_and_tell_once(
    gateway: Gateway,
    sessions: sessionmaker[Session],
    directory: Directory,
    rasa: ScriptedRasa,
    on_redis: Backend,
) -> None:
    """Both read what is due before either marks it: only the lease keeps the second away."""
    make_stale(sessions, directory.story_time)
    with sessions.begin() as session:
        val = session.scalar(select(Member).where(Member.name == "Val"))
        robots = session.get(Opportunity, directory.robots)
        assert val is not None and robots is not None
        outcome = edit_listing(
            session, val, robots, {"cost": "5"}, source="api", today=date.today()
        )
        assert outcome.request is not None
        reject_request(session, outcome.request.id, Actor("cli", "cli"), "Cost must include tax")

    async def scenario() -> list[RecordingOutlet]:
        keepers = []
        for _ in range(2):
            made = Gateway(gateway.settings, sessions, rasa, on_redis.gateway())  # type: ignore[arg-type]
            made.telegram = RecordingOutlet()
            keepers.append(Housekeeping(made))
        await asyncio.gather(*(keeper.round() for keeper in keepers))
        for keeper in keepers:
            await keeper.stop()
        return [recorded(keeper.gateway) for keeper in keepers]

    outlets = on_redis.run(scenario)
    sent = [(address, message.text) for outlet in outlets for address, [message] in outlet.sent]
    assert sorted(address for address, _ in sent) == [str(LIBRARIAN), str(VOLUNTEER)]
    assert any(text.startswith("👋 Still running") for _, text in sent)
    assert any("Cost must include tax" in text for _, text in sent)
    with sessions() as session:
        assert len(session.scalars(select(FreshnessNudge)).all()) == 1
