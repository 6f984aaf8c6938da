"""The channels end to end: Telegram through the fake Bot API, the web widget's API, the human
handoff round trip and reminders delivered on the learner's channel, all against the real stack."""

from __future__ import annotations

import itertools
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

import requests

from bot.gateway.records import pseudonym
from bot.reminders.worker import GatewayDeliverer, RasaIntentTrigger, ReminderWorker
from knowledge.db import make_engine, make_sessionmaker
from tests.e2e.conftest import GATEWAY_TOKEN, NAVIGATORS, PSEUDONYM_KEY, Stack
from tests.fakes.telegram_api import FakeBotApi, iter_buttons

_chats = itertools.count(700_001)
REPLY_TIMEOUT_S = 60


def new_chat() -> int:
    """A Telegram chat id no other test uses."""
    return next(_chats)


def replies(
    fake: FakeBotApi, chat: int, before: int, settle_s: float = 1.5
) -> list[dict[str, Any]]:
    """The bot's messages in `chat` after the first `before`, once they stop coming."""
    deadline = time.monotonic() + REPLY_TIMEOUT_S
    while len(fake.bot_messages(chat)) <= before:
        if time.monotonic() > deadline:
            raise AssertionError(f"no reply in chat {chat} within {REPLY_TIMEOUT_S} s")
        time.sleep(0.1)
    count = -1
    while count != len(fake.bot_messages(chat)):  # a turn can send several messages
        count = len(fake.bot_messages(chat))
        time.sleep(settle_s)
    return fake.bot_messages(chat)[before:]


def say(fake: FakeBotApi, chat: int, text: str) -> list[dict[str, Any]]:
    """A learner types `text` in Telegram; the bot's replies."""
    before = len(fake.bot_messages(chat))
    fake.push_text(chat, text)
    return replies(fake, chat, before)


def joined(messages: list[dict[str, Any]]) -> str:
    return "\n".join(str(message.get("text", "")) for message in messages)


def greeted(text: str) -> bool:
    """One of utter_greet's variations (bot/domain/basics.yml)."""
    return text.startswith(("Hi! I'm Wayfinder", "Hello!"))


def test_a_telegram_conversation_with_buttons_a_location_pin_and_a_photo(stack: Stack) -> None:
    fake, chat = stack.telegram, new_chat()
    before = len(fake.bot_messages(chat))
    fake.push_command(chat, "start")
    assert greeted(joined(replies(fake, chat, before)))

    found = say(fake, chat, "free coding club for my 12 year old")
    listing = next(m for m in found if m.get("reply_markup"))
    assert "coding" in listing["text"].lower() and "Free" in listing["text"]
    first = next(iter_buttons(listing["reply_markup"]))
    assert first["text"].startswith("1. ")
    assert len(first["callback_data"].encode()) <= 64

    before = len(fake.bot_messages(chat))
    fake.push_callback(chat, first["callback_data"], listing["message_id"])
    details = joined(replies(fake, chat, before))
    assert "How to join" in details and first["text"][3:12] in details
    tapped = next(m for m in fake.bot_messages(chat) if m["message_id"] == listing["message_id"])
    assert not list(iter_buttons(tapped.get("reply_markup")))  # the keyboard is gone
    assert fake.calls("answerCallbackQuery")

    assert say(fake, chat, "robotics for my 12 year old")
    before = len(fake.bot_messages(chat))
    fake.push_location(chat, 41.4993, -81.6944)  # the pin becomes a search near that point
    assert "Here's what I found" in joined(replies(fake, chat, before))
    sender = pseudonym(PSEUDONYM_KEY.encode(), "telegram", str(chat))
    tracker = requests.get(f"{stack.rasa_url}/conversations/{sender}/tracker", timeout=30).json()
    assert (tracker["slots"]["latitude"], tracker["slots"]["longitude"]) == (41.4993, -81.6944)
    assert tracker["latest_input_channel"] == "telegram"

    before = len(fake.bot_messages(chat))
    fake.push_photo(chat)
    assert "only read text and locations" in joined(replies(fake, chat, before))
    refused = [error for error in fake.errors() if error.status != 409]
    assert refused == [], refused  # Telegram would have accepted every call


def test_a_429_from_telegram_is_retried_and_the_reply_still_arrives(stack: Stack) -> None:
    fake, chat = stack.telegram, new_chat()
    fake.fail_next("sendMessage", times=1, status=429, retry_after=1)
    assert greeted(joined(say(fake, chat, "hello")))


def test_the_human_handoff_round_trip(stack: Stack) -> None:
    fake, chat = stack.telegram, new_chat()
    say(fake, chat, "robotics for my 11 year old")
    before_group = len(fake.bot_messages(NAVIGATORS))
    promised = joined(say(fake, chat, "I want to talk to a person"))
    assert "navigator" in promised.lower()
    (request,) = replies(fake, NAVIGATORS, before_group)
    assert "robotics" in request["text"] and "10–12" in request["text"]
    assert str(chat) not in request["text"]  # never the learner's chat id

    relayed = say(fake, chat, "is there anything on Sundays?")
    assert "Sent to the navigator" in joined(relayed)
    assert "is there anything on Sundays?" in fake.bot_messages(NAVIGATORS)[-1]["text"]

    before = len(fake.bot_messages(chat))
    fake.push_group_reply(NAVIGATORS, "Yes, chess at 2pm!", request["message_id"], 9001)
    assert "Navigator: Yes, chess at 2pm!" in joined(replies(fake, chat, before))

    before = len(fake.bot_messages(chat))
    fake.push_group_reply(NAVIGATORS, "/done", request["message_id"], 9001)
    back = joined(replies(fake, chat, before))
    assert "I'm back" in back
    assert greeted(joined(say(fake, chat, "hi")))  # the assistant answers again


def _deliver_due_reminders(stack: Stack) -> tuple[int, int]:
    """One pass of the reminder worker, a year from now, delivering through the gateway."""
    sessions = make_sessionmaker(make_engine(stack.database_url))
    worker = ReminderWorker(
        sessions,
        RasaIntentTrigger(stack.rasa_url),
        GatewayDeliverer(stack.gateway_url, GATEWAY_TOKEN),
    )
    tally = worker.run_once(lambda: datetime.now() + timedelta(days=400))
    return tally.sent, tally.failed


def _remind_me(send: Any) -> str:
    """Ask for the first listing with a date to be reminded of; the assistant's confirmation."""
    send("coding for a 12 year old")
    for ordinal in range(1, 6):
        send(f'/opportunity_details{{"ordinal":"{ordinal}"}}')
        if "I'll remind you" in (confirmed := send("/set_reminder")):
            return str(confirmed)
    raise AssertionError("none of the first five coding listings has a date to remind of")


def test_a_reminder_reaches_the_telegram_user(stack: Stack) -> None:
    fake, chat = stack.telegram, new_chat()
    confirmed = _remind_me(lambda text: joined(say(fake, chat, text)))
    assert "open this chat" not in confirmed  # Telegram reaches the learner when it is due
    before = len(fake.bot_messages(chat))
    assert _deliver_due_reminders(stack) == (1, 0)
    assert "⏰ Reminder" in joined(replies(fake, chat, before))


def test_the_web_api_chats_and_delivers_a_reminder_to_an_open_widget(stack: Stack) -> None:
    session = uuid.uuid4().hex
    api = f"{stack.gateway_url}/api/web"
    header = {"X-Wayfinder-Session": session}  # never in a URL

    def send(text: str) -> str:
        response = requests.post(f"{api}/messages", json={"text": text}, headers=header, timeout=60)
        assert response.status_code == 200, response.text
        return "\n".join(message["text"] for message in response.json()["messages"])

    bad = requests.post(f"{api}/messages", json={"session": "x", "text": "hi"}, timeout=10)
    assert bad.status_code == 400 and "session" in bad.json()["error"]
    confirmed = _remind_me(send)
    assert "the reminder waits here" in confirmed  # the web reaches them only with the chat open
    assert _deliver_due_reminders(stack) == (1, 0)
    events = requests.get(f"{api}/events", params={"after": 0}, headers=header, timeout=40)
    (reminder,) = events.json()["messages"]
    assert reminder["text"].startswith("⏰ Reminder from ") and reminder["id"] > 0  # its date
    again = requests.get(
        f"{api}/events", params={"after": reminder["id"]}, headers=header, timeout=40
    )
    assert again.json()["messages"] == []  # delivered once
