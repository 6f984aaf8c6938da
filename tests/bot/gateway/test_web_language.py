"""The web side in the learner's language, over real HTTP: the browser's language goes to the
assistant, each reply names the conversation's language for the widget, the widget's words come
with its script, and the privacy notice and the rate limit speak the browser's language."""

from __future__ import annotations

import json
import re

import pytest
import requests
from sqlalchemy.orm import Session, sessionmaker

from bot.gateway.texts import say
from bot.gateway.web import STRINGS_MARK, accepted_language
from knowledge.locales import SOURCE_LANGUAGE, book, supported_codes
from tests.bot.gateway.conftest import ScriptedRasa, Serve, post_message, speaks

SESSION = "Lq7pW2xZ8kLp3RtY7vNa"


def post(url: str, body: dict[str, object]) -> dict[str, object]:
    """One message from the widget; the JSON reply."""
    answer = post_message(url, body, SESSION)
    assert answer.status_code == 200, answer.text
    reply: dict[str, object] = answer.json()
    return reply


def test_the_browsers_language_goes_to_the_assistant_and_the_reply_names_the_chats(
    served: Serve, rasa: ScriptedRasa, sessions: sessionmaker[Session]
) -> None:
    url, gateway = served()
    reply = post(url, {"text": "hola", "language_hint": "es-MX"})
    assert rasa.metadata[-1] == {"language_hint": "es-MX", "language_read": None}
    assert reply["language"] == "es"  # nothing kept yet: the browser's, as we speak it
    speaks(sessions, gateway.sender_id("web", SESSION), "en")  # the learner chose English
    assert post(url, {"text": "hola", "language_hint": "es-MX"})["language"] == "en"


@pytest.mark.parametrize(
    ("hint", "passed_on"),
    [("<b>es</b>", {}), ("es MX", {}), (12, {}), ("de-DE", {"language_hint": "de-DE"})],
)
def test_only_a_tag_is_passed_on_and_only_a_language_we_speak_is_named_back(
    served: Serve, rasa: ScriptedRasa, hint: object, passed_on: dict[str, str]
) -> None:
    url, _ = served()
    reply = post(url, {"text": "hallo", "language_hint": hint})
    assert rasa.metadata[-1] == {**passed_on, "language_read": None}
    assert "language" not in reply  # the widget keeps the browser's choice, or English


def test_the_widget_script_carries_every_languages_interface_words(served: Serve) -> None:
    url, _ = served()
    script = requests.get(f"{url}/widget.js", timeout=10).text
    assert STRINGS_MARK not in script
    found = re.search(r"var STRINGS = (\{.*?\});\n", script)
    assert found, "widget.js has no STRINGS in place"
    strings = json.loads(found.group(1))
    assert set(strings) == set(supported_codes())
    for code in supported_codes():
        assert strings[code] == book(SOURCE_LANGUAGE, "widget") | book(code, "widget")
    assert found.group(1).isascii()  # safe whatever the page's encoding


def test_the_privacy_notice_is_in_the_language_asked_else_the_browsers(served: Serve) -> None:
    url, _ = served()

    def page(query: str = "", accept: str | None = None) -> str:
        headers = {"Accept-Language": accept} if accept else {}
        answer = requests.get(f"{url}/privacy{query}", headers=headers, timeout=10)
        assert "Accept-Language" in answer.headers.get("Vary", "")
        return answer.text

    spanish = '<html lang="es">'
    assert spanish in page("?lang=es") and say("privacy_title", "es") in page("?lang=es")
    assert spanish in page(accept="es-MX,es;q=0.9,en;q=0.8")
    assert '<html lang="en">' in page("?lang=en", accept="es-MX")  # asked for beats the browser
    assert '<html lang="en">' in page("?lang=<script>", accept="fr-FR")
    assert "<script>" not in page("?lang=<script>")


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("es-MX,es;q=0.9,en;q=0.8", "es"),
        ("fr-CA, es;q=0.5, en;q=0.4", "es"),
        ("en;q=0.3, es;q=0.7", "es"),
        ("es;q=0, en", "en"),
        ("de, fr", None),
        ("es;q=abc, en;q=0.1", "en"),
        ("", None),
        (None, None),
    ],
)
def test_accept_language_gives_the_most_preferred_language_we_speak(
    header: str | None, language: str | None
) -> None:
    assert accepted_language(header) == language


def test_the_rate_limit_speaks_the_browsers_language(served: Serve) -> None:
    url, _ = served(web_rate_per_minute=1)
    headers = {"X-Wayfinder-Session": SESSION, "Accept-Language": "es-US,es;q=0.9"}
    body = {"text": "hola"}
    for _ in range(2):
        answer = requests.post(f"{url}/api/web/messages", json=body, headers=headers, timeout=10)
    assert answer.status_code == 429
    wait = answer.headers["Retry-After"]
    assert answer.json() == {"error": say("web_too_many", "es", seconds=wait)}
