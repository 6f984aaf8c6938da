"""The plan's files through the gateway: on Telegram as documents after the reply (the fake Bot
API), in the widget as signed, expiring download links (real HTTP); bad and old links refused."""

from __future__ import annotations

import asyncio
import http.client
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import recurring_ical_events
import requests
from icalendar import Calendar
from sqlalchemy.orm import Session, sessionmaker
from telegram import Update

from bot.gateway.core import Gateway
from bot.gateway.messages import BotMessage
from bot.gateway.plan_files import TOKEN_TTL, TokenRefused, plan_token, sender_of
from bot.gateway.settings import GatewaySettings
from bot.gateway.telegram_bot import build_application
from bot.gateway.texts import say
from tests.bot.gateway.conftest import REDIS_URL, Backend, ScriptedRasa, Serve, post_message
from tests.fakes.telegram_api import FakeBotApi, UploadedFile
from tests.knowledge.plan_export.builders import listing, provider, saved

CHAT = 5151
SESSION = "Pz4rT8wQ2mNv6YbK1xLc"
ASK = "send me my plan"
KEY = b"k" * 40


class PlanRasa(ScriptedRasa):
    """The assistant as action_export_plan answers: its words, then the custom payload (Rasa
    sends it as a message of its own)."""

    async def send(
        self, sender_id: str, text: str, channel: str, metadata: dict[str, Any] | None = None
    ) -> list[BotMessage]:
        if text != ASK:
            return await super().send(sender_id, text, channel, metadata)
        self.calls.append((sender_id, text, channel))
        return [
            BotMessage("Here's your plan."),
            BotMessage("", (), {"plan_export": {"formats": ["ics", "html"]}}),
        ]


CITY = {"timezone": "America/New_York", "city_name": "Testville"}  # daylight saving time


@pytest.fixture
def city_settings(settings: GatewaySettings) -> GatewaySettings:
    """A city with daylight saving time, named by the settings."""
    return replace(settings, timezone=CITY["timezone"], city_name=CITY["city_name"])


@pytest.fixture
def rasa(sessions: sessionmaker[Session]) -> PlanRasa:
    """The assistant that answers ASK by asking for the plan's files (served gateways get it)."""
    return PlanRasa(sessions)


def save_a_plan(
    sessions: sessionmaker[Session], sender_id: str, language: str | None = None
) -> None:
    """The learner saved one listing with sessions and a deadline."""
    with sessions.begin() as session:
        club = listing(session, provider(session), translations={"es": "Laboratorio de robots"})
        saved(session, sender_id, club, language=language)


# ── tokens ────────────────────────────────────────────────────────────────────────────────────


def test_a_token_names_its_sender_until_it_expires() -> None:
    made_at = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)
    token = plan_token(KEY, "web-abc", now=made_at)
    assert "web-abc" not in token  # encoded, and useless without the signature
    assert sender_of(KEY, token, now=made_at + TOKEN_TTL - timedelta(seconds=1)) == "web-abc"
    with pytest.raises(TokenRefused) as expired:
        sender_of(KEY, token, now=made_at + TOKEN_TTL)
    assert (expired.value.status, expired.value.key) == (410, "plan_link_expired")


@pytest.mark.parametrize(
    "damage",
    [
        lambda t: None,  # no token at all
        lambda t: "",
        lambda t: "nonsense",
        lambda t: t[:-3],  # copied only in part
        lambda t: t + "x",
        lambda t: t.replace(".", ".."),
        lambda t: "é" + t,
        # Another sender's id with this token's signature.
        lambda t: plan_token(KEY, "web-other").split(".")[0] + "." + t.split(".")[1],
        lambda t: plan_token(b"z" * 40, "web-abc"),  # signed with another gateway's key
    ],
)
def test_a_damaged_or_foreign_token_is_refused(damage: Callable[[str], str | None]) -> None:
    with pytest.raises(TokenRefused) as refused:
        sender_of(KEY, damage(plan_token(KEY, "web-abc")))
    assert (refused.value.status, refused.value.key) == (403, "plan_link_invalid")


def test_a_forged_old_token_is_refused_as_forged_not_as_expired() -> None:
    old = plan_token(b"z" * 40, "web-abc", now=datetime(2020, 1, 1, tzinfo=UTC))
    with pytest.raises(TokenRefused) as refused:
        sender_of(KEY, old)
    assert refused.value.status == 403


# ── Telegram ──────────────────────────────────────────────────────────────────────────────────


@pytest.fixture
def fake() -> Iterator[FakeBotApi]:
    with FakeBotApi() as server:
        yield server


def telegram(gateway: Gateway, fake: FakeBotApi, settings: GatewaySettings) -> Gateway:
    """The gateway with the plan's assistant, a token and the fake Bot API's address."""
    root = fake.base_url.removesuffix("/bot")
    gateway.settings = replace(settings, telegram_token="123456:TEST", telegram_api_url=root)
    gateway.rasa = PlanRasa(gateway.sessions)  # type: ignore[assignment]
    return gateway


def chat(gateway: Gateway, *updates: dict[str, Any]) -> None:
    """Feed updates one by one to a started Application, as polling would."""

    async def scenario() -> None:
        application = build_application(gateway, updater=False)
        async with application:
            for raw in updates:
                await application.process_update(Update.de_json(raw, application.bot))

    asyncio.run(scenario())


def test_telegram_gets_the_reply_then_the_calendar_and_the_page_as_documents(
    gateway: Gateway, fake: FakeBotApi, city_settings: GatewaySettings
) -> None:
    bot = telegram(gateway, fake, city_settings)
    save_a_plan(gateway.sessions, gateway.sender_id("telegram", str(CHAT)), language="es")
    chat(bot, fake.push_text(CHAT, ASK))
    order = [call.method for call in fake.calls() if call.method in ("sendMessage", "sendDocument")]
    assert order == ["sendMessage", "sendDocument", "sendDocument"]  # the words first
    calendar_call, page_call = fake.calls("sendDocument")
    calendar, page = calendar_call.params["document"], page_call.params["document"]
    assert isinstance(calendar, UploadedFile) and isinstance(page, UploadedFile)
    assert (calendar.filename, page.filename) == (
        "mi-plan-de-aprendizaje.ics",
        "mi-plan-de-aprendizaje.html",
    )
    assert calendar_call.params["caption"] == say("plan_file_ics_caption", "es")
    assert page_call.params["caption"] == say("plan_file_html_caption", "es")
    # The calendar is the learner's, in their language and the city's time zone.
    parsed = Calendar.from_ical(calendar.data)
    assert {str(e["summary"]) for e in parsed.walk("VEVENT")} == {
        "Laboratorio de robots",
        "Último día para inscribirte: Laboratorio de robots",
    }
    (first,) = recurring_ical_events.of(parsed).at((2027, 2, 27))  # the first Saturday
    assert first["dtstart"].dt.hour == 10
    assert str(first["dtstart"].dt.tzinfo) == "America/New_York"
    assert "Laboratorio de robots" in page.data.decode()
    assert fake.errors() == []


def test_telegram_says_so_when_the_plan_emptied_before_the_files_were_made(
    gateway: Gateway, fake: FakeBotApi, city_settings: GatewaySettings
) -> None:
    bot = telegram(gateway, fake, city_settings)
    chat(bot, fake.push_text(CHAT, ASK))  # the assistant asked for files; nothing is saved
    assert not fake.calls("sendDocument")
    texts = [str(call.params["text"]) for call in fake.calls("sendMessage")]
    assert texts[-1] == say("plan_files_empty")
    assert fake.errors() == []


def test_telegram_sends_no_file_for_an_ordinary_reply(
    gateway: Gateway, fake: FakeBotApi, city_settings: GatewaySettings
) -> None:
    bot = telegram(gateway, fake, city_settings)
    save_a_plan(gateway.sessions, gateway.sender_id("telegram", str(CHAT)))
    chat(bot, fake.push_text(CHAT, "show my plan"))
    assert not fake.calls("sendDocument")


# ── the web widget ────────────────────────────────────────────────────────────────────────────


def ask_for_the_plan(url: str) -> list[dict[str, str]]:
    """The widget's message; the links its reply carries."""
    answer = post_message(url, {"text": ASK}, SESSION)
    assert answer.status_code == 200, answer.text
    (message,) = answer.json()["messages"]
    assert message["text"] == "Here's your plan."
    files: list[dict[str, str]] = message["files"]
    return files


def test_the_widget_gets_links_that_download_the_learners_files(
    served: Serve, sessions: sessionmaker[Session]
) -> None:
    url, gateway = served(**CITY)
    sender = gateway.sender_id("web", SESSION)
    save_a_plan(sessions, sender)
    files = ask_for_the_plan(url)
    assert [f["format"] for f in files] == ["ics", "html"]
    for found in files:
        assert found["url"].startswith(f"/web/plan.{found['format']}?token=")
        assert SESSION not in found["url"] and sender not in found["url"]
        (token,) = parse_qs(urlsplit(found["url"]).query)["token"]
        assert sender_of(gateway.settings.pseudonym_key, token) == sender

    calendar = requests.get(url + files[0]["url"], timeout=10)
    assert calendar.status_code == 200
    assert calendar.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert calendar.headers["Content-Disposition"] == 'attachment; filename="my-learning-plan.ics"'
    assert calendar.headers["Cache-Control"] == "no-store"
    assert Calendar.from_ical(calendar.content).to_ical() == calendar.content
    assert "X-WR-CALNAME:My learning plan" in calendar.text

    page = requests.get(url + files[1]["url"], timeout=10)
    assert page.status_code == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert page.headers["Content-Disposition"].startswith("inline;")
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert "Saturday Robot Lab" in page.text and "Testville" in page.text


def test_a_bad_link_is_forbidden_and_an_old_one_gone_each_saying_what_to_do(
    served: Serve, sessions: sessionmaker[Session]
) -> None:
    url, gateway = served(**CITY)
    sender = gateway.sender_id("web", SESSION)
    save_a_plan(sessions, sender)
    key = gateway.settings.pseudonym_key
    old = plan_token(key, sender, now=datetime.now(UTC) - TOKEN_TTL - timedelta(minutes=1))
    spanish = {"Accept-Language": "es-MX,es;q=0.9"}
    for path, token, status, text in [
        ("/web/plan.ics", None, 403, "plan_link_invalid"),
        ("/web/plan.html", "not-a-token", 403, "plan_link_invalid"),
        ("/web/plan.ics", plan_token(b"z" * 40, sender), 403, "plan_link_invalid"),
        ("/web/plan.ics", old, 410, "plan_link_expired"),
        ("/web/plan.html", old, 410, "plan_link_expired"),
    ]:
        params = {"token": token} if token is not None else {}
        for headers, language in (({}, None), (spanish, "es")):
            answer = requests.get(url + path, params=params, headers=headers, timeout=10)
            assert answer.status_code == status, (path, token)
            assert answer.text == say(text, language)
            assert answer.headers["Cache-Control"] == "no-store"


def test_a_link_to_a_plan_emptied_or_forgotten_since_says_so(
    served: Serve,
) -> None:
    url, _ = served(**CITY)
    files = ask_for_the_plan(url)  # nothing saved: the links lead to a clear message
    answer = requests.get(url + files[0]["url"], timeout=10)
    assert answer.status_code == 404
    assert answer.text == say("plan_files_empty")


def test_an_ordinary_reply_carries_no_links(served: Serve) -> None:
    url, _ = served(**CITY)
    answer = post_message(url, {"text": "show my plan"}, SESSION)
    assert all("files" not in message for message in answer.json()["messages"])


# ── the links' rate limit ─────────────────────────────────────────────────────────────────────


def on(backend: Backend) -> dict[str, object]:
    """The settings that keep the served gateway's rate limits where the backend keeps them."""
    return {"redis_url": REDIS_URL, "redis_prefix": backend.prefix} if backend.redis else {}


def test_a_client_fetching_plan_links_in_a_loop_is_told_to_wait_in_its_language(
    served: Serve, backend: Backend, sessions: sessionmaker[Session]
) -> None:
    url, gateway = served(web_rate_per_minute=3, **on(backend), **CITY)
    save_a_plan(sessions, gateway.sender_id("web", SESSION))
    calendar = url + ask_for_the_plan(url)[0]["url"]
    assert [requests.get(calendar, timeout=10).status_code for _ in range(3)] == [200, 200, 200]
    for headers, language in (({}, None), ({"Accept-Language": "es-MX,es;q=0.9"}, "es")):
        refused = requests.get(calendar, headers=headers, timeout=10)
        assert refused.status_code == 429
        wait = refused.headers["Retry-After"]
        assert wait.isdigit() and 1 <= int(wait) <= 60
        assert refused.text == say("plan_files_too_many", language, seconds=wait)
        assert refused.headers["Cache-Control"] == "no-store"
    # Counted before the token is read (a bad link too); the widget's calls are counted apart.
    assert requests.get(f"{url}/web/plan.html?token=x", timeout=10).status_code == 429
    assert post_message(url, {"text": "hello"}, SESSION).status_code == 200
    other = http.client.HTTPConnection(  # another address on the loopback network
        "127.0.0.1", int(url.rsplit(":", 1)[1]), timeout=10, source_address=("127.0.0.2", 0)
    )
    other.request("GET", calendar.removeprefix(url))
    assert other.getresponse().status == 200
    other.close()


def test_gateways_on_redis_count_a_clients_plan_links_once(
    served: Serve, on_redis: Backend, sessions: sessionmaker[Session]
) -> None:
    both = {"web_rate_per_minute": 2, **on(on_redis), **CITY}
    first, gateway = served(**both)
    second, _ = served(**both)
    save_a_plan(sessions, gateway.sender_id("web", SESSION))
    link = ask_for_the_plan(first)[1]["url"]
    statuses = [requests.get(url + link, timeout=10).status_code for url in (first, second) * 2]
    assert statuses == [200, 200, 429, 429]
