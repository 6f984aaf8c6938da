"""Telegram handlers, offline: Update objects fed to the real Application (`process_update`),
its Bot calls answered by the fake Bot API server on localhost; the assistant is scripted."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from telegram import Update

from bot.gateway.core import Gateway
from bot.gateway.settings import GatewaySettings
from bot.gateway.telegram_bot import build_application, set_commands
from bot.gateway.texts import say
from knowledge.locales import SOURCE_LANGUAGE, book, supported_codes
from tests.bot.gateway.conftest import NAVIGATORS, ScriptedRasa, speaks
from tests.fakes.telegram_api import FakeBotApi, JSONDict, iter_buttons

CHAT = 4242
NAVIGATOR = 777  # a navigator's own Telegram user id
Scenario = Callable[[Any], Awaitable[None]]


@pytest.fixture
def fake() -> Iterator[FakeBotApi]:
    with FakeBotApi() as server:
        yield server


@pytest.fixture
def telegram_gateway(gateway: Gateway, fake: FakeBotApi) -> Gateway:
    """The gateway with a token and the fake Bot API's address."""
    root = fake.base_url.removesuffix("/bot")
    gateway.settings = replace(
        gateway.settings, telegram_token="123456:TEST", telegram_api_url=root
    )
    return gateway


def run(gateway: Gateway, *updates: dict[str, Any]) -> None:
    """Feed updates one by one to a started Application, as polling would."""

    async def scenario() -> None:
        application = build_application(gateway, updater=False)
        async with application:
            for raw in updates:
                await application.process_update(Update.de_json(raw, application.bot))

    asyncio.run(scenario())


def sent_texts(fake: FakeBotApi, chat_id: int = CHAT) -> list[str]:
    return [str(call.params["text"]) for call in fake.calls("sendMessage")
            if int(call.params["chat_id"]) == chat_id]  # fmt: skip


def test_a_message_goes_to_the_assistant_and_the_reply_comes_back_with_buttons(
    telegram_gateway: Gateway, fake: FakeBotApi, rasa: ScriptedRasa
) -> None:
    run(telegram_gateway, fake.push_text(CHAT, "robotics <for> my kid & me"))
    assert rasa.calls[-1][1:] == ("robotics <for> my kid & me", "telegram")
    typing = fake.calls("sendChatAction")
    assert typing and typing[0].params["action"] == "typing"
    (reply,) = fake.calls("sendMessage")
    assert reply.params["parse_mode"] == "HTML"
    assert reply.params["text"] == "you said robotics &lt;for&gt; my kid &amp; me"
    assert [b["callback_data"] for b in iter_buttons(reply.params["reply_markup"])] == [
        "/more_results"
    ]
    assert fake.errors() == []
    timing = telegram_gateway.timings.summary()["telegram"]
    assert timing["messages"] == 1 and timing["bot_api_p50_ms"] > 0  # the send, timed apart


def test_start_greets_every_time_and_deep_links_search(
    telegram_gateway: Gateway, fake: FakeBotApi, rasa: ScriptedRasa
) -> None:
    run(
        telegram_gateway,
        fake.push_command(CHAT, "start"),
        fake.push_command(CHAT, "start"),
        fake.push_command(CHAT, "start", "robotics_club"),
    )
    assert [text for _, text, _ in rasa.calls] == ["/greet", "/greet", "robotics club"]


@pytest.mark.parametrize(
    ("command", "intent"),
    [
        ("help", "/help"),
        ("plan", "/show_plan"),
        ("forget", "/forget_me"),
        ("human", "/talk_to_human"),
        ("language", "/choose_language"),
    ],
)
def test_commands_become_their_intents(
    telegram_gateway: Gateway, fake: FakeBotApi, rasa: ScriptedRasa, command: str, intent: str
) -> None:
    run(telegram_gateway, fake.push_command(CHAT, command))
    assert rasa.calls[-1][1] == intent


def test_a_tapped_button_is_answered_disabled_and_sends_its_payload(
    telegram_gateway: Gateway, fake: FakeBotApi, rasa: ScriptedRasa
) -> None:
    run(telegram_gateway, fake.push_text(CHAT, "hi"))
    message_id = int(fake.bot_messages(CHAT)[-1]["message_id"])
    run(telegram_gateway, fake.push_callback(CHAT, "/more_results", message_id))
    assert fake.calls("answerCallbackQuery")
    edit = fake.wait_for("editMessageReplyMarkup")
    assert int(edit.params["message_id"]) == message_id
    assert not list(iter_buttons(edit.params.get("reply_markup")))  # nothing left to tap
    assert rasa.calls[-1][1] == "/more_results"


@pytest.mark.parametrize("text", ["   ", "\u3000\n"])
def test_a_blank_message_reaches_the_assistant_and_its_answer_comes_back(
    telegram_gateway: Gateway, fake: FakeBotApi, rasa: ScriptedRasa, text: str
) -> None:
    # The assistant's REST channel answers it with "I didn't catch that" (tests/bot/rasa_ext).
    run(telegram_gateway, fake.push_text(CHAT, text))
    assert rasa.calls[-1][1:] == (text, "telegram")
    assert len(sent_texts(fake)) == 1 and fake.errors() == []


def test_a_button_from_before_a_restart_is_explained(
    telegram_gateway: Gateway, fake: FakeBotApi, rasa: ScriptedRasa
) -> None:
    run(telegram_gateway, fake.push_text(CHAT, "hi"))
    message_id = int(fake.bot_messages(CHAT)[-1]["message_id"])
    calls_before = len(rasa.calls)
    run(telegram_gateway, fake.push_callback(CHAT, "#0123456789abcdef0123", message_id))
    assert len(rasa.calls) == calls_before
    assert sent_texts(fake)[-1] == say("stale_button")


def test_a_shared_location_is_a_search_near_that_point(
    telegram_gateway: Gateway, fake: FakeBotApi, rasa: ScriptedRasa
) -> None:
    run(telegram_gateway, fake.push_location(CHAT, 41.4993, -81.6944))
    text = rasa.calls[-1][1]
    assert text.startswith("/share_location")
    assert json.loads(text.removeprefix("/share_location")) == {
        "latitude": 41.4993,
        "longitude": -81.6944,
    }


@pytest.mark.parametrize("kind", ["photo", "sticker", "voice", "document"])
def test_photos_voice_stickers_and_files_get_a_friendly_answer(
    telegram_gateway: Gateway, fake: FakeBotApi, rasa: ScriptedRasa, kind: str
) -> None:
    push = getattr(fake, f"push_{kind}")
    run(telegram_gateway, push(CHAT))
    assert rasa.calls == []
    assert sent_texts(fake) == [say("unsupported_media")]


def test_a_long_reply_is_split_and_the_buttons_go_under_the_last_part(
    telegram_gateway: Gateway, fake: FakeBotApi
) -> None:
    run(telegram_gateway, fake.push_text(CHAT, "word " * 1000))
    parts = fake.calls("sendMessage")
    assert len(parts) == 2
    assert all(len(str(part.params["text"])) <= 4096 for part in parts)
    assert "reply_markup" not in parts[0].params
    assert list(iter_buttons(parts[1].params["reply_markup"]))


def test_the_handoff_round_trip_through_the_navigators_group(
    telegram_gateway: Gateway, fake: FakeBotApi, rasa: ScriptedRasa
) -> None:
    group = int(NAVIGATORS)
    run(telegram_gateway, fake.push_command(CHAT, "human"))
    request = fake.wait_for("sendMessage", lambda p: int(p["chat_id"]) == group)
    assert "robotics" in str(request.params["text"]) and str(CHAT) not in str(request.params)
    request_id = int(fake.bot_messages(group)[-1]["message_id"])

    run(telegram_gateway, fake.push_text(CHAT, "are you there?"))
    assert sent_texts(fake)[-1] == say("handoff_relayed")
    assert "are you there?" in sent_texts(fake, group)[-1]
    assert [text for _, text, _ in rasa.calls] == ["/talk_to_human"]  # not the assistant

    run(telegram_gateway, fake.push_group_reply(group, "Hi! I'm Sam.", request_id, NAVIGATOR))
    assert sent_texts(fake)[-1] == say("handoff_navigator_reply", text="Hi! I'm Sam.")

    run(telegram_gateway, fake.push_group_reply(group, "/done", request_id, NAVIGATOR))
    assert sent_texts(fake)[-1] == say("handoff_closed_by_navigator")
    assert sent_texts(fake, group)[-1] == say("navigator_closed", number=1)
    run(telegram_gateway, fake.push_text(CHAT, "thanks"))
    assert rasa.calls[-1][1] == "thanks"  # the assistant is back
    assert fake.errors() == []


def test_settings_refuse_a_webhook_without_its_secret() -> None:
    with pytest.raises(ValueError, match="TELEGRAM_WEBHOOK_SECRET"):
        GatewaySettings.from_env(
            {
                "TELEGRAM_WEBHOOK_URL": "https://bot.example.org/telegram/webhook",
                "WAYFINDER_PSEUDONYM_KEY": "k" * 40,
            }
        )


def test_a_429_from_telegram_is_waited_out_and_retried(
    telegram_gateway: Gateway, fake: FakeBotApi
) -> None:
    fake.fail_next("sendMessage", times=1, status=429, retry_after=1)
    run(telegram_gateway, fake.push_text(CHAT, "hello"))
    attempts = fake.calls("sendMessage")
    assert len(attempts) == 2  # refused once, then sent
    assert fake.bot_messages(CHAT)[-1]["text"] == "you said hello"


def test_one_users_failure_never_stops_the_others(
    telegram_gateway: Gateway, fake: FakeBotApi, rasa: ScriptedRasa
) -> None:
    blocked = 5151
    fake.block(blocked)  # this user blocked the bot: every send to them fails with 403
    run(telegram_gateway, fake.push_text(blocked, "hi"), fake.push_text(CHAT, "still here?"))
    assert fake.bot_messages(CHAT)[-1]["text"] == "you said still here?"
    assert [text for _, text, _ in rasa.calls] == ["hi", "still here?"]


def test_when_the_assistant_asks_where_a_share_location_button_is_offered(
    telegram_gateway: Gateway, fake: FakeBotApi
) -> None:
    run(telegram_gateway, fake.push_text(CHAT, "coding near me"))
    (question,) = fake.calls("sendMessage")  # the custom part joined the text: one message
    keyboard = question.params["reply_markup"]["keyboard"]
    assert keyboard[0][0]["request_location"] is True
    assert keyboard[0][0]["text"] == say("share_location_button")


@pytest.mark.parametrize(
    ("send", "change"),
    [
        ("push_text", {"text": "robotics for my kids"}),  # a typo fixed
        ("push_command", {"text": "/help"}),
        ("push_location", {"location": {"latitude": 41.5, "longitude": -81.7}}),  # live, moving
        ("push_photo", {"caption": "what is this?"}),
    ],
)
def test_an_edited_message_is_not_handled_again(
    telegram_gateway: Gateway, fake: FakeBotApi, rasa: ScriptedRasa, send: str, change: JSONDict
) -> None:
    first = {
        "push_text": lambda: fake.push_text(CHAT, "robotics for my kid"),
        "push_command": lambda: fake.push_command(CHAT, "help"),
        "push_location": lambda: fake.push_location(CHAT, 41.4993, -81.6944),
        "push_photo": lambda: fake.push_photo(CHAT),
    }[send]()
    run(telegram_gateway, first)
    calls, replies = list(rasa.calls), sent_texts(fake)
    assert len(replies) == 1

    run(telegram_gateway, fake.push_edit(first, **change))
    assert rasa.calls == calls  # the assistant did not hear it twice
    assert sent_texts(fake) == replies  # nor did the learner get a second answer
    assert fake.errors() == []


def test_edits_during_a_handoff_are_relayed_neither_way_again(
    telegram_gateway: Gateway, fake: FakeBotApi, rasa: ScriptedRasa
) -> None:
    group = int(NAVIGATORS)
    run(telegram_gateway, fake.push_command(CHAT, "human"))
    request_id = int(fake.bot_messages(group)[-1]["message_id"])
    reply = fake.push_group_reply(group, "Hi! I'm Sma.", request_id, NAVIGATOR)
    question = fake.push_text(CHAT, "are you there?")
    run(telegram_gateway, reply, question)
    assert say("handoff_navigator_reply", text="Hi! I'm Sma.") in sent_texts(fake)
    assert "are you there?" in sent_texts(fake, group)[-1]
    learner, navigators = sent_texts(fake), sent_texts(fake, group)

    run(
        telegram_gateway,
        fake.push_edit(reply, text="Hi! I'm Sam."),  # the navigator fixes a typo
        fake.push_edit(question, text="are you there??"),
    )
    assert sent_texts(fake) == learner  # one copy of the navigator's reply
    assert sent_texts(fake, group) == navigators  # one copy of the learner's question
    assert [text for _, text, _ in rasa.calls] == ["/talk_to_human"]
    assert fake.errors() == []


def test_privacy_sends_the_notice_without_asking_the_assistant(
    telegram_gateway: Gateway, fake: FakeBotApi, rasa: ScriptedRasa
) -> None:
    run(telegram_gateway, fake.push_command(CHAT, "privacy"))
    assert rasa.calls == []
    (notice,) = sent_texts(fake)
    assert notice.startswith(say("privacy_title")) and "/forget" in notice


def test_the_apps_language_goes_to_the_assistant_as_a_hint(
    telegram_gateway: Gateway, fake: FakeBotApi, rasa: ScriptedRasa
) -> None:
    fake.set_language(CHAT, "es-419")
    updates = [fake.push_text(CHAT, "hola"), fake.push_command(CHAT, "help")]
    run(telegram_gateway, *updates)
    assert rasa.metadata == [  # each with its update's id: the assistant's key against a repeat
        {
            "language_hint": "es-419",
            "message_id": f"tg-{update['update_id']}",
            "language_read": None,  # too short to read
        }
        for update in updates
    ]
    fake.set_language(CHAT, None)  # Telegram leaves it out when the app does not say
    last = fake.push_text(CHAT, "hola")
    run(telegram_gateway, last)
    assert rasa.metadata[-1] == {"message_id": f"tg-{last['update_id']}", "language_read": None}


def test_the_gateways_own_words_follow_the_learners_language(
    telegram_gateway: Gateway, fake: FakeBotApi, sessions: sessionmaker[Session]
) -> None:
    fake.set_language(CHAT, "es-MX")  # before anything is kept: the app's language
    run(telegram_gateway, fake.push_photo(CHAT))
    assert sent_texts(fake)[-1] == say("unsupported_media", "es")
    speaks(sessions, telegram_gateway.sender_id("telegram", str(CHAT)), "en")
    run(telegram_gateway, fake.push_callback(CHAT, "#0123456789abcdef0123", 1))
    assert sent_texts(fake)[-1] == say("stale_button")  # the learner chose English: it wins
    speaks(sessions, telegram_gateway.sender_id("telegram", str(CHAT)), "es")
    fake.set_language(CHAT, "en")
    run(telegram_gateway, fake.push_text(CHAT, "talleres near me"))
    keyboard = fake.calls("sendMessage")[-1].params["reply_markup"]["keyboard"]
    assert keyboard[0][0]["text"] == say("share_location_button", "es")
    run(telegram_gateway, fake.push_command(CHAT, "privacy"))
    assert sent_texts(fake)[-1].startswith(say("privacy_title", "es"))


def test_the_command_menu_is_set_in_every_language_and_english_for_the_rest(
    telegram_gateway: Gateway, fake: FakeBotApi
) -> None:
    async def scenario() -> None:
        application = build_application(telegram_gateway, updater=False)
        async with application:
            await set_commands(application)

    asyncio.run(scenario())
    menus = {
        call.params.get("language_code"): {
            command["command"]: command["description"] for command in call.params["commands"]
        }
        for call in fake.calls("setMyCommands")
    }
    assert set(menus) == {None, *supported_codes()}
    assert menus[None] == menus[SOURCE_LANGUAGE]
    for code in supported_codes():
        assert menus[code] == book(code, "telegram"), code
        assert "language" in menus[code] and "start" in menus[code]
    assert len({str(menu) for menu in menus.values()}) == len(supported_codes())  # translated
    assert fake.errors() == []
