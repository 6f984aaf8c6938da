"""Spanish end to end (issue #15): a whole conversation in Spanish over REST and Telegram, with no
English beyond listing content, and a switch of language mid-conversation."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from sqlalchemy import select

from benchmarks.reply_language import english_in
from knowledge.locales import SOURCE_LANGUAGE, supported_codes, text
from knowledge.models import Learner, PlanItem
from tests.e2e.conftest import Conversation, Reply, Stack
from tests.e2e.test_channels import joined, new_chat, say
from tests.e2e.test_conversations import listed, listings
from tests.e2e.test_widget import bot_texts, wait_for_bot

try:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:
    pytest.skip("selenium is not installed: pip install selenium==4.51.0", allow_module_level=True)

Talk = Callable[..., Conversation]
SPANISH = "es"
assert SPANISH in supported_codes()
NUMBERED = re.compile(r"^1\. ", re.M)


def in_spanish(reply: Reply) -> Reply:
    """The reply, once checked for English phrases and empty answers."""
    assert reply.text.strip(), reply.messages
    leaked = english_in(reply.text + "\n" + "\n".join(b["title"] for b in reply.buttons), SPANISH)
    assert not leaked, (leaked, reply.text)
    return reply


def test_a_spanish_family_search_refined_then_details_credential_and_pathway(
    talk: Talk, stack: Stack
) -> None:
    chat = talk()
    first = in_spanish(chat.say("hola, busco clases de arte para mi hija de 8 años"))
    assert chat.slots()["chat_language"] == SPANISH
    titles = listed(first)
    assert titles, first.text
    for row in listings(stack, titles):
        assert (row.min_age or 0) <= 8 <= (row.max_age or 120), row.title
    free = in_spanish(chat.say("solo las gratis"))
    free_titles = listed(free)
    assert free_titles, free.text
    assert all(row.is_free for row in listings(stack, free_titles))
    brother = in_spanish(chat.say("y para su hermano de 14 años?"))
    for row in listings(stack, listed(brother)):
        assert (row.min_age or 0) <= 14 <= (row.max_age or 120), row.title
    assert chat.slots()["age"] == 14.0
    details = in_spanish(chat.say('/opportunity_details{"ordinal":"1"}'))
    assert "Dónde" in details.text, details.text
    in_spanish(chat.say("¿qué es una microcredencial?"))
    pathway = in_spanish(chat.say("quiero ser enfermera"))
    assert NUMBERED.search(pathway.text), pathway.text


def test_plan_reminder_handoff_and_forget_me_in_spanish(talk: Talk, stack: Stack) -> None:
    chat = talk()
    in_spanish(chat.say("quiero clases de baile para mi hijo de 7 años"))
    in_spanish(chat.say('/opportunity_details{"ordinal":"1"}'))
    in_spanish(chat.say("/save_opportunity"))
    in_spanish(chat.say("/set_reminder"))
    plan = in_spanish(chat.say("¿qué tengo en mi plan?"))
    with stack.session() as session:
        learner = session.scalars(select(Learner).where(Learner.sender_id == chat.sender)).one()
        assert learner.chat_language == SPANISH
        assert session.scalars(select(PlanItem).where(PlanItem.learner_id == learner.id)).all()
    assert NUMBERED.search(plan.text) or "1" in plan.text, plan.text
    in_spanish(chat.say("quiero hablar con una persona"))
    ask = in_spanish(chat.say("borra mis datos por favor"))
    assert any(button["payload"] == "/affirm" for button in ask.buttons), ask.messages
    in_spanish(chat.say("/affirm"))
    with stack.session() as session:
        assert session.scalars(select(Learner).where(Learner.sender_id == chat.sender)).all() == []


def test_a_switch_of_language_mid_conversation(talk: Talk) -> None:
    chat = talk()
    in_spanish(chat.say("hola, necesito clases de natación para mi hijo de 9 años"))
    english = chat.say("can we talk in english please")
    assert chat.slots()["chat_language"] == SOURCE_LANGUAGE
    assert not english_in(english.text, SPANISH) or "English" in english.text, english.text
    results = chat.say("swimming for my 9 year old son")
    assert listed(results) and "Dónde" not in results.text
    spanish = in_spanish(chat.say('/choose_language{"language":"es"}'))
    assert chat.slots()["chat_language_chosen"] is True, spanish.text
    in_spanish(chat.say("gracias"))  # one word never switches back


def test_the_channel_hint_decides_a_short_first_message(talk: Talk) -> None:
    chat = talk()
    in_spanish(chat.say("hola", metadata={"language_hint": "es-MX"}))
    assert chat.slots()["chat_language"] == SPANISH


def test_telegram_in_spanish_from_the_apps_language(stack: Stack) -> None:
    """A Telegram user whose app is in Spanish: greeted, searched and answered in Spanish."""
    chat = new_chat()
    stack.telegram.set_language(chat, "es-419")
    greeting = say(stack.telegram, chat, "hola")
    text = joined(greeting)
    assert not english_in(text, SPANISH) and "Hola" in text, text
    found = say(stack.telegram, chat, "talleres de robótica para mi sobrino de 11")
    text = joined(found)
    assert not english_in(text, SPANISH), text
    assert NUMBERED.search(text), text


def test_the_widget_in_a_spanish_browser(stack: Stack, spanish_browser: WebDriver) -> None:
    """Interface, search and details in Spanish, from the browser's language alone."""
    driver = spanish_browser
    driver.get(f"{stack.gateway_url}/")
    driver.execute_script("localStorage.clear()")
    driver.refresh()
    WebDriverWait(driver, 15).until(lambda d: d.find_element(By.ID, "wf-panel").is_displayed())
    field = driver.find_element(By.ID, "wf-input")
    assert field.get_attribute("placeholder") == text(SPANISH, "widget", "placeholder")
    field.send_keys("clases de arte para mi hija de 9 años", Keys.ENTER)
    WebDriverWait(driver, 60, poll_frequency=0.2).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#wf-log .wf-choice"), "no result buttons"
    )
    said = "\n".join(bot_texts(driver))
    assert not english_in(said, SPANISH), said
    first = next(
        button
        for button in driver.find_elements(By.CSS_SELECTOR, "#wf-log .wf-choice")
        if button.text.startswith("1. ")
    )
    first.click()
    details = wait_for_bot(driver, "Dónde")
    assert not english_in(details, SPANISH), details
    panel = driver.find_element(By.ID, "wf-panel")
    assert not english_in(str(panel.get_property("innerText")), SPANISH)
