"""Learners' privacy at the gateway: the notice at /privacy and its button, the widget's session
id kept out of URLs and out of the database, and the signal that "forget me" ran."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from bot.gateway import records
from bot.gateway.core import FORGOTTEN, PRIVACY, Gateway
from bot.gateway.messages import BotMessage
from bot.gateway.settings import GatewaySettings, SettingsError
from bot.gateway.texts import privacy_text, say
from bot.gateway.web import SESSION_HEADER
from knowledge.db import make_engine, make_sessionmaker
from knowledge.migrate import upgrade
from knowledge.models import ChannelAddress
from tests.bot.gateway.conftest import RecordingOutlet, ScriptedRasa, serving

DOMAIN = Path(__file__).resolve().parents[3] / "bot" / "domain"
SESSION = "Wf5mQ2xZ8kLp3RtY7vNa"  # what a widget sends: 16-128 letters, digits, - or _
SITE = "https://library.example.org"


@dataclass
class ForgettingRasa(ScriptedRasa):
    """The assistant as far as forgetting goes: "/affirm" after "forget me" is utter_forgotten,
    its custom part a message of its own, as Rasa's REST channel sends it."""

    async def send(
        self, sender_id: str, text: str, channel: str, metadata: dict[str, Any] | None = None
    ) -> list[BotMessage]:
        if text == "/affirm":
            self.calls.append((sender_id, text, channel))
            return [
                BotMessage("Done — I've deleted everything."),
                BotMessage("", (), {FORGOTTEN: True}),
            ]
        return await super().send(sender_id, text, channel, metadata)


@pytest.fixture
def served(
    settings: GatewaySettings, sessions: sessionmaker[Session]
) -> Iterator[Callable[..., tuple[str, Gateway, ForgettingRasa]]]:
    """The gateway over real HTTP on the throwaway database, its assistant scripted."""
    with ExitStack() as stack:

        def start(**changes: object) -> tuple[str, Gateway, ForgettingRasa]:
            url, gateway = stack.enter_context(serving(replace(settings, **changes)))  # type: ignore[arg-type]
            rasa = ForgettingRasa(sessions)
            gateway.rasa = rasa  # type: ignore[assignment]
            return url, gateway, rasa

        yield start


def test_the_privacy_notice_is_a_plain_page_saying_what_how_long_who_and_how_to_erase(
    served: Callable[..., tuple[str, Gateway, ForgettingRasa]],
) -> None:
    url, _, _ = served(retention_days=90)
    page = requests.get(f"{url}/privacy", timeout=10)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    html = page.text
    assert '<html lang="en">' in html and '<meta name="viewport"' in html
    assert f"<title>{say('privacy_title')}</title>" in html
    assert re.findall(r"<h2>(.*?)</h2>", html) == [
        "What Wayfinder keeps",
        "For how long",
        "Who sees it",
        "How to delete it",
    ]
    words = html.lower()
    for kept in ("age", "neighbourhood", "interests", "plan", "reminders", "conversation"):
        assert kept in words
    assert "90 days" in html and "365" not in html  # WAYFINDER_RETENTION_DAYS, as configured
    assert "navigator" in words and "summary" in words  # who sees it
    assert "forget me" in words and "/forget" in html  # how to erase it, on either channel
    assert "<script" not in words and "http" not in words.split("</head>")[0]  # nothing to load


def test_the_notices_text_is_escaped_on_the_page(
    served: Callable[..., tuple[str, Gateway, ForgettingRasa]],
) -> None:
    url, _, _ = served()
    html = requests.get(f"{url}/privacy", timeout=10).text
    assert "&quot;forget me&quot;" in html  # the texts are text, never markup


def test_the_session_travels_in_a_header_and_a_url_naming_it_is_refused(
    served: Callable[..., tuple[str, Gateway, ForgettingRasa]],
) -> None:
    url, gateway, rasa = served()
    header = {SESSION_HEADER: SESSION}
    answer = requests.post(
        f"{url}/api/web/messages", json={"text": "hi"}, headers=header, timeout=10
    )
    assert answer.status_code == 200
    assert answer.json() == {
        "messages": [
            {
                "id": None,
                "text": "you said hi",
                "buttons": [{"title": "More", "payload": "/more_results"}],
            }
        ]
    }
    assert rasa.calls == [(gateway.sender_id("web", SESSION), "hi", "web")]

    sender = gateway.sender_id("web", SESSION)
    asyncio.run(gateway.outbox.deliver(sender, [BotMessage("⏰ Reminder")]))
    events = requests.get(
        f"{url}/api/web/events", params={"after": "0"}, headers=header, timeout=40
    )
    assert [m["text"] for m in events.json()["messages"]] == ["⏰ Reminder"]

    in_url = requests.get(
        f"{url}/api/web/events",
        params={"session": SESSION, "after": "0"},
        headers=header,
        timeout=10,
    )
    assert in_url.status_code == 400 and SESSION_HEADER in in_url.json()["error"]
    missing = requests.post(f"{url}/api/web/messages", json={"text": "hi"}, timeout=10)
    assert missing.status_code == 400 and "session" in missing.json()["error"]


def test_a_body_naming_another_session_than_the_header_is_refused(
    served: Callable[..., tuple[str, Gateway, ForgettingRasa]],
) -> None:
    url, _, rasa = served()
    body = {"session": "another-session-id-123", "text": "hi"}
    answer = requests.post(
        f"{url}/api/web/messages", json=body, headers={SESSION_HEADER: SESSION}, timeout=10
    )
    assert answer.status_code == 400 and "different sessions" in answer.json()["error"]
    assert rasa.calls == []


def test_sites_on_the_allow_list_may_send_the_session_header(
    served: Callable[..., tuple[str, Gateway, ForgettingRasa]],
) -> None:
    url, _, _ = served(cors_origins=(SITE,))
    preflight = requests.options(
        f"{url}/api/web/events",
        headers={
            "Origin": SITE,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": SESSION_HEADER.lower(),
        },
        timeout=10,
    )
    allowed = {
        h.strip().lower() for h in preflight.headers["Access-Control-Allow-Headers"].split(",")
    }
    assert SESSION_HEADER.lower() in allowed
    assert preflight.headers["Access-Control-Allow-Origin"] == SITE


def test_the_reply_to_forget_me_tells_the_widget_to_wipe_its_copy(
    served: Callable[..., tuple[str, Gateway, ForgettingRasa]],
) -> None:
    url, _, _ = served()
    header = {SESSION_HEADER: SESSION}
    chat = requests.post(f"{url}/api/web/messages", json={"text": "hi"}, headers=header, timeout=10)
    assert "forgotten" not in chat.json()
    body = {"payload": "/affirm", "text": "Yes, delete it"}
    done = requests.post(f"{url}/api/web/messages", json=body, headers=header, timeout=10)
    assert done.json() == {
        "messages": [{"id": None, "text": "Done — I've deleted everything.", "buttons": []}],
        "forgotten": True,
    }


def test_a_web_session_id_is_stored_only_as_a_keyed_hash(
    gateway: Gateway, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    asyncio.run(gateway.converse("web", SESSION, "hi"))
    asyncio.run(gateway.converse("telegram", "555123", "hi"))
    sender = gateway.sender_id("web", SESSION)
    with sessions() as session:
        web = session.get(ChannelAddress, sender)
        assert web is not None and web.address != SESSION
        assert web.address == records.kept_address(gateway.settings.pseudonym_key, "web", SESSION)
        assert web.address != records.kept_address(b"another key" * 4, "web", SESSION)
        telegram = session.scalars(
            select(ChannelAddress).where(ChannelAddress.channel == "telegram")
        )
        assert [row.address for row in telegram] == ["555123"]  # Telegram needs the chat id
        # A second message finds the kept address current: no write per message.
        assert records.address_is_current(session, sender, "web", web.address)
    files = b"".join(path.read_bytes() for path in tmp_path.glob("gateway.db*"))
    assert SESSION.encode() not in files  # nowhere in the database, not only not in that column
    assert asyncio.run(gateway.outbox.deliver(sender, [BotMessage("reminder")]))  # still reachable


def test_after_forget_me_the_gateway_keeps_no_address_even_one_written_during_the_turn(
    settings: GatewaySettings, sessions: sessionmaker[Session]
) -> None:
    rasa = ForgettingRasa(sessions)  # erases nothing itself: the address write lands after it
    gateway = Gateway(settings, sessions, rasa)  # type: ignore[arg-type]
    replies = asyncio.run(gateway.converse("web", SESSION, "/affirm"))
    assert replies[0].custom == {FORGOTTEN: True}
    with sessions() as session:
        assert session.get(ChannelAddress, gateway.sender_id("web", SESSION)) is None


@pytest.mark.parametrize("channel", ["web", "telegram"])
def test_the_privacy_button_is_answered_by_the_gateway_not_the_assistant(
    gateway: Gateway, rasa: ScriptedRasa, channel: str
) -> None:
    replies = asyncio.run(gateway.converse(channel, "12345678901234567", PRIVACY))
    assert [reply.text for reply in replies] == [privacy_text(365)]  # no public address: in full
    assert rasa.calls == []
    gateway.settings = replace(gateway.settings, public_url="https://chat.example.org")
    replies = asyncio.run(gateway.converse(channel, "12345678901234567", f" {PRIVACY} "))
    assert [reply.text for reply in replies] == [
        say("privacy_link", url="https://chat.example.org/privacy")
    ]
    assert rasa.calls == []


def test_privacy_during_a_handoff_is_answered_not_relayed(
    gateway: Gateway, sessions: sessionmaker[Session], rasa: ScriptedRasa
) -> None:
    asyncio.run(gateway.converse("telegram", "77", "/talk_to_human"))
    outlet = gateway.telegram
    assert isinstance(outlet, RecordingOutlet)
    posts = len(outlet.posts)
    replies = asyncio.run(gateway.converse("telegram", "77", PRIVACY))
    assert [reply.text for reply in replies] == [privacy_text(365)]
    assert len(outlet.posts) == posts  # the navigators never see it


def test_retention_and_the_public_address_come_from_the_environment(tmp_path: Path) -> None:
    key = {"WAYFINDER_PSEUDONYM_KEY": "k" * 40}
    default = GatewaySettings.from_env(key, key_file=tmp_path / "k")
    assert (default.retention_days, default.public_url) == (365, None)
    env = key | {
        "WAYFINDER_RETENTION_DAYS": "30",
        "WAYFINDER_PUBLIC_URL": "https://chat.example.org/",
    }
    configured = GatewaySettings.from_env(env, key_file=tmp_path / "k")
    assert (configured.retention_days, configured.public_url) == (30, "https://chat.example.org")
    hooked = key | {
        "TELEGRAM_WEBHOOK_URL": "https://bot.example.org/wayfinder/telegram/webhook",
        "TELEGRAM_WEBHOOK_SECRET": "s",
    }
    assert GatewaySettings.from_env(hooked).public_url == "https://bot.example.org/wayfinder"
    for name, value in (("WAYFINDER_RETENTION_DAYS", "0"), ("WAYFINDER_PUBLIC_URL", "chat.org")):
        with pytest.raises(SettingsError, match=name):
            GatewaySettings.from_env(key | {name: value}, key_file=tmp_path / "k")


def test_the_domain_sends_what_the_gateway_looks_for() -> None:
    """The help's Privacy button and utter_forgotten's flag are a contract with the gateway."""
    basics = yaml.safe_load((DOMAIN / "basics.yml").read_text(encoding="utf-8"))
    (help_text,) = basics["responses"]["utter_help"]
    assert {"title": "Privacy", "payload": PRIVACY} in help_text["buttons"]
    people = yaml.safe_load((DOMAIN / "people.yml").read_text(encoding="utf-8"))
    assert all(
        variant.get("custom") == {FORGOTTEN: True}
        for variant in people["responses"]["utter_forgotten"]
    )


def test_session_ids_stored_in_clear_before_are_dropped_and_hashed_on_return(
    settings: GatewaySettings, tmp_path: Path
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'before.db'}")
    upgrade(engine, "0008")  # as a gateway that kept the ids left it
    web = records.pseudonym(settings.pseudonym_key, "web", SESSION)
    with engine.begin() as connection:
        for sender, channel, address in ((web, "web", SESSION), ("tg-1", "telegram", "555123")):
            connection.execute(
                insert(ChannelAddress).values(sender_id=sender, channel=channel, address=address)
            )
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    with sessions() as session:
        rows = {row.channel: row.address for row in session.scalars(select(ChannelAddress))}
    assert rows == {"web": "", "telegram": "555123"}
    gateway = Gateway(settings, sessions, ScriptedRasa(sessions))  # type: ignore[arg-type]
    asyncio.run(gateway.converse("web", SESSION, "hi again"))
    with sessions() as session:
        kept = session.get(ChannelAddress, web)
        assert kept is not None
        assert kept.address == records.kept_address(settings.pseudonym_key, "web", SESSION)
    engine.dispose()
