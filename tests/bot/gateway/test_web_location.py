"""The widget's "Share my location" over real HTTP: the browser's position reaches the assistant
exactly as a Telegram pin does (the share_location intent with the coordinates); anything but
two numbers on the globe is refused with what to send, before the assistant is asked."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest
import requests
from sqlalchemy.orm import Session, sessionmaker

from bot.gateway.pins import share_location
from bot.gateway.settings import GatewaySettings
from tests.bot.gateway.conftest import ScriptedRasa
from tests.bot.gateway.test_web import serving

SESSION = "Kx8vP3qZ9mLr4TsW6yNb"
Start = Callable[[], tuple[str, ScriptedRasa]]


@pytest.fixture
def served(settings: GatewaySettings, sessions: sessionmaker[Session]) -> Iterator[Start]:
    """The gateway over real HTTP on the throwaway database, its assistant scripted."""
    with ExitStack() as stack:

        def start() -> tuple[str, ScriptedRasa]:
            url, gateway = stack.enter_context(serving(settings))
            rasa = ScriptedRasa(sessions)
            gateway.rasa = rasa  # type: ignore[assignment]
            return url, rasa

        yield start


def post(url: str, body: dict[str, object]) -> requests.Response:
    headers = {"X-Wayfinder-Session": SESSION}
    return requests.post(f"{url}/api/web/messages", json=body, headers=headers, timeout=10)


def test_a_shared_position_reaches_the_assistant_as_a_pin(served: Start) -> None:
    url, rasa = served()
    body: dict[str, object] = {
        "text": "📍 My location",
        "location": {"latitude": 41.4993, "longitude": -81.6944},
    }
    answer = post(url, body)
    assert answer.status_code == 200, answer.text
    ((_, text, channel),) = rasa.calls
    assert channel == "web" and text == share_location(41.4993, -81.6944)
    assert text.startswith("/share_location")
    assert json.loads(text.removeprefix("/share_location")) == {
        "latitude": 41.4993,
        "longitude": -81.6944,
    }


@pytest.mark.parametrize(
    ("location", "says"),
    [
        ({"latitude": 91, "longitude": 0}, "latitude must be between -90 and 90"),
        ({"latitude": 0, "longitude": -181.5}, "longitude must be between -180 and 180"),
        ({"latitude": "41.5", "longitude": 0}, "latitude must be a number"),
        ({"latitude": True, "longitude": 0}, "latitude must be a number"),
        ({"latitude": 41.5}, 'location must be {"latitude"'),
        ([41.5, -81.7], 'location must be {"latitude"'),
    ],
)
def test_a_bad_position_is_refused_before_the_assistant_is_asked(
    served: Start, location: object, says: str
) -> None:
    url, rasa = served()
    answer = post(url, {"text": "📍 My location", "location": location})
    assert answer.status_code == 400 and says in answer.json()["error"]
    assert rasa.calls == []
