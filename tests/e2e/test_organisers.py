"""Organisers and learners end to end (#17), on the real stack: what learners ask for and do not
find is recorded from their conversations without them and reported by `wayfinder report demand`
with nothing under k; the weekly digest names it in the organisers' Telegram group, once a week;
and a Telegram learner asks for their plan and gets a calendar file in the city's time zone."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
import requests
from icalendar import Calendar
from sqlalchemy import inspect, select

from bot.gateway.core import Gateway
from bot.gateway.organiser_digest import WeeklyDigest
from bot.gateway.rasa import RasaClient
from bot.gateway.records import pseudonym
from bot.gateway.settings import GatewaySettings
from bot.gateway.telegram_bot import build_application
from bot.gateway.texts import say as text_of
from knowledge.db import make_engine, make_sessionmaker
from knowledge.models import Opportunity, SearchRecord
from knowledge.reports.privacy import DEFAULT_K
from tests.e2e.conftest import BOT_TOKEN, CITY_TIMEZONE, PSEUDONYM_KEY, Conversation, Stack
from tests.e2e.test_channels import joined, new_chat, replies
from tests.e2e.test_community import wayfinder
from tests.fakes.telegram_api import UploadedFile, iter_buttons

# Robotics in the demo city starts at age 9, so this finds nothing anywhere (and the words are the
# city's own: robotics is a topic, Northgate a neighbourhood).
UNMET = "robotics for my 7 year old in Northgate"
UNMET_GROUP = ("robotics", "6–8", "Northgate")
UNMET_LABEL = "robotics · ages 6–8 · Northgate"
# Asked by fewer than k learners: recorded, but never a row of its own.
FEW = "robotics for my 7 year old in Riverside"
FEW_GROUP = ("robotics", "6–8", "Riverside")
FOUND = "coding for my 12 year old"  # plenty in the demo city
ORGANISERS = -1009876543210  # the organisers' Telegram group (not the navigators')
LEARNER_COUNTS = ("searches", "found little", "found nothing")  # the report's learner counts
HIDDEN = f"<{DEFAULT_K}"
RECORD_COLUMNS = {
    "id", "day", "channel", "chat_language", "topic", "age_band", "neighbourhood", "cost", "days",
    "times", "format", "language", "career_goal", "results",
}  # fmt: skip


@dataclass(frozen=True)
class Asked:
    """Who asked what in `demand`: every learner's identifiers, and the unmet group's records."""

    identifiers: tuple[str, ...]  # sender ids, web session ids and their pseudonyms
    unmet: int  # the unmet group's searches recorded now (this module's and any before it)
    channels: Counter[str]  # the channels of this module's unmet searches


def group_records(stack: Stack, group: tuple[str, str, str]) -> list[SearchRecord]:
    """The recorded searches of one topic, age band and neighbourhood."""
    topic, band, place = group
    with stack.session() as session:
        query = select(SearchRecord).where(
            SearchRecord.topic == topic,
            SearchRecord.age_band == band,
            SearchRecord.neighbourhood == place,
        )
        return list(session.scalars(query.order_by(SearchRecord.id)))


def web_message(stack: Stack, session_id: str, text: str) -> str:
    """A learner's message through the gateway's web API (the widget's); the reply's text."""
    response = requests.post(
        f"{stack.gateway_url}/api/web/messages",
        json={"text": text},
        headers={"X-Wayfinder-Session": session_id},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    return "\n".join(message["text"] for message in response.json()["messages"])


@pytest.fixture(scope="module")
def demand(stack: Stack) -> Asked:
    """Eleven learners search once each, all at the same time: six for what the city lacks (four
    over REST, two in the widget), two for it in a neighbourhood too few ask about, three for what
    it has."""
    before = len(group_records(stack, UNMET_GROUP))
    senders = [f"e2e-demand-{uuid.uuid4().hex[:12]}" for _ in range(8)]
    sessions = [uuid.uuid4().hex for _ in range(3)]
    rest: list[tuple[str, str]] = [
        *((sender, UNMET) for sender in senders[:4]),
        *((sender, FEW) for sender in senders[4:6]),
        *((sender, FOUND) for sender in senders[6:]),
    ]
    web = [(sessions[0], UNMET), (sessions[1], UNMET), (sessions[2], FOUND)]
    turns: list[Callable[[], str]] = [
        *(lambda s=sender, t=text: Conversation(stack, s).say(t).text for sender, text in rest),
        *(lambda s=session, t=text: web_message(stack, s, t) for session, text in web),
    ]
    with ThreadPoolExecutor(max_workers=len(turns)) as pool:  # all at once: a few seconds
        answers = list(pool.map(lambda turn: turn(), turns))
    assert all(answers), "a learner got no answer"
    records = group_records(stack, UNMET_GROUP)
    assert len(records) == before + 6, records  # one record per search, no more
    web_senders = [pseudonym(PSEUDONYM_KEY.encode(), "web", session) for session in sessions]
    return Asked(
        identifiers=(*senders, *sessions, *web_senders),
        unmet=len(records),
        channels=Counter(record.channel for record in records[before:]),
    )


def test_unmet_demand_from_conversations_is_reported_with_nothing_under_k(
    stack: Stack, demand: Asked
) -> None:
    assert demand.channels == {"rest": 4, "web": 2}
    assert all(record.results == 0 for record in group_records(stack, UNMET_GROUP))
    few = group_records(stack, FEW_GROUP)
    assert len(few) >= 2 and all(record.results == 0 for record in few)
    report = wayfinder(stack, "report", "demand", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(report)))
    (unmet,) = [row for row in rows if row["asked for"] == UNMET_LABEL]
    searches = str(demand.unmet)
    assert (unmet["searches"], unmet["found little"], unmet["found nothing"]) == (searches,) * 3
    assert unmet["listings now"] == "0"
    assert unmet["nearest offers"].startswith("other ages: ")  # robotics for older children
    # Nothing under k: no row for the two Riverside searches, no learner count from 1 to k - 1.
    assert not [row for row in rows if "Riverside" in row["asked for"]], report
    for row in rows:
        for column in LEARNER_COUNTS:
            assert row[column] == HIDDEN or not 0 < int(row[column]) < DEFAULT_K, row
        for wish_count in re.findall(r"\((\d+)\)", row["often also"]):
            assert int(wish_count) >= DEFAULT_K, row
    # No learner identifier in the records (nowhere to keep one) or in the report.
    with stack.session() as session:
        columns = {
            column["name"] for column in inspect(session.get_bind()).get_columns("search_record")
        }
        assert columns == RECORD_COLUMNS
        stored = " ".join(
            repr(tuple(getattr(record, name) for name in sorted(columns)))
            for record in session.scalars(select(SearchRecord))
        )
    for identifier in demand.identifiers:
        assert identifier not in stored and identifier not in report


async def digest_passes(settings: GatewaySettings, passes: int) -> list[bool]:
    """A gateway's digest job (as its housekeeping runs it) run `passes` times, on the stack's
    directory and fake Bot API; whether each pass sent the digest. Only the digest job: the other
    jobs of a round would run beside the stack gateway's own, with no shared lease (no Redis)."""
    engine = make_engine(settings.database_url)
    gateway = Gateway(settings, make_sessionmaker(engine), RasaClient(settings.rasa_url))
    application = build_application(gateway, updater=False)  # sends; polls nothing
    await application.initialize()
    try:
        job = WeeklyDigest(gateway)
        return [await job.run() for _ in range(passes)]
    finally:
        await application.shutdown()
        await gateway.close()
        engine.dispose()


def test_the_weekly_digest_names_the_top_unmet_need_once_a_week(
    stack: Stack, demand: Asked
) -> None:
    # The digest covers the four weeks up to yesterday: the searches are moved three days back
    # (whatever the hour, that is before yesterday in the city and in UTC).
    with stack.session() as session, session.begin():
        topic, band, place = UNMET_GROUP
        for record in session.scalars(
            select(SearchRecord).where(
                SearchRecord.topic == topic,
                SearchRecord.age_band == band,
                SearchRecord.neighbourhood == place,
            )
        ):
            record.day -= timedelta(days=3)
    settings = GatewaySettings.from_env(
        {
            "WAYFINDER_DATABASE_URL": stack.database_url,
            "WAYFINDER_RASA_URL": stack.rasa_url,
            "WAYFINDER_PSEUDONYM_KEY": PSEUDONYM_KEY,
            "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
            "TELEGRAM_API_BASE_URL": stack.telegram.base_url.removesuffix("/bot"),
            "WAYFINDER_TIMEZONE": CITY_TIMEZONE,
            "ORGANISER_CHAT_ID": str(ORGANISERS),
            "WAYFINDER_DIGEST_AT": "Mon 00:00",  # due from the start of the city's week
        }
    )
    assert asyncio.run(digest_passes(settings, 2)) == [True, False]  # the second sends nothing
    assert asyncio.run(digest_passes(settings, 1)) == [False]  # nor does a gateway restarted
    title = text_of("digest_title", since="x", until="y").split(":")[0]
    (digest,) = [m["text"] for m in stack.telegram.bot_messages(ORGANISERS)]
    assert digest.startswith(title), digest
    need = text_of("digest_need_line", label=UNMET_LABEL, unmet=demand.unmet, searches=demand.unmet)
    assert need in digest.splitlines(), digest
    assert "Riverside" not in digest
    assert not [identifier for identifier in demand.identifiers if identifier in digest]


def test_a_telegram_learner_gets_their_plan_as_a_calendar_file(stack: Stack) -> None:
    fake, chat = stack.telegram, new_chat()

    def answer(move: Callable[[], object]) -> list[dict[str, Any]]:
        """The bot's messages answering a learner's move in Telegram."""
        before = len(fake.bot_messages(chat))
        move()
        return replies(fake, chat, before, settle_s=0.5)

    found = answer(lambda: fake.push_text(chat, FOUND))
    listing = next(m for m in found if m.get("reply_markup"))  # the first page of results
    first = next(iter_buttons(listing["reply_markup"]))
    assert first["text"].startswith("1. "), first
    answer(lambda: fake.push_callback(chat, first["callback_data"], listing["message_id"]))
    said = joined(answer(lambda: fake.press_button(chat, "Save to my plan")))
    saved = re.search(r"Saved (.+) to your plan", said)
    assert saved, said
    title = saved[1]

    assert "calendar file (.ics)" in joined(answer(lambda: fake.push_text(chat, "send me my plan")))
    sent = fake.wait_for(
        "sendDocument",
        lambda params: (
            params["chat_id"] in (chat, str(chat)) and params["document"].filename.endswith(".ics")
        ),
        timeout=30,
    )
    upload = sent.params["document"]
    assert isinstance(upload, UploadedFile)
    calendar = Calendar.from_ical(upload.data)
    zones = [str(zone["tzid"]) for zone in calendar.walk("VTIMEZONE")]
    assert zones == [CITY_TIMEZONE]
    (session_event,) = [event for event in calendar.walk("VEVENT") if "rrule" in event]
    assert str(session_event["summary"]) == title
    starts = session_event.decoded("dtstart")
    assert isinstance(starts, datetime) and str(starts.tzinfo) == CITY_TIMEZONE
    with stack.session() as session:
        listing_row = session.scalars(select(Opportunity).where(Opportunity.title == title)).first()
        assert listing_row is not None and listing_row.start_time is not None
    assert starts.time() == listing_row.start_time  # the listing's own hour, in the city
    refused = [error for error in fake.errors() if error.params.get("chat_id") in (chat, str(chat))]
    assert refused == []  # Telegram would have accepted every call in this chat
