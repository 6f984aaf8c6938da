"""The widget's "Share my location" over real HTTP: the browser's position reaches the assistant
exactly as a Telegram pin does (the share_location intent with the coordinates); anything but
two numbers on the globe is refused with what to send, before the assistant is asked."""

from __future__ import annotations

import json

import pytest

from bot.gateway.pins import share_location
from tests.bot.gateway.conftest import ScriptedRasa, Serve, post_message


def test_a_shared_position_reaches_the_assistant_as_a_pin(
    served: Serve, rasa: ScriptedRasa
) -> None:
    url, _ = served()
    body: dict[str, object] = {
        "text": "📍 My location",
        "location": {"latitude": 41.4993, "longitude": -81.6944},
    }
    answer = post_message(url, body)
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
    served: Serve, rasa: ScriptedRasa, location: object, says: str
) -> None:
    url, _ = served()
    answer = post_message(url, {"text": "📍 My location", "location": location})
    assert answer.status_code == 400 and says in answer.json()["error"]
    assert rasa.calls == []
