"""The widget's idempotency key over real HTTP: its message id goes to the assistant as
"web-<id>", a retry says the message may have reached it before, and anything malformed is
refused with a reason before the assistant is asked."""

from __future__ import annotations

import pytest

from bot.gateway.core import with_message_id
from tests.bot.gateway.conftest import ScriptedRasa, Serve, post_message

MESSAGE = "3f2b9c1e-7a4d-4e8b-9c0f-1a2b3c4d5e6f"  # crypto.randomUUID()'s shape


def test_the_widgets_message_id_and_retry_reach_the_assistant(
    served: Serve, rasa: ScriptedRasa
) -> None:
    url, _ = served()
    bodies: list[dict[str, object]] = [
        {"text": "hi", "message_id": MESSAGE},
        {"text": "hi", "message_id": MESSAGE, "retry": True},  # its gateway died mid-request
        {"text": "thanks", "message_id": "m_0000000002", "retry": False},
        {"text": "bye"},  # an older widget: as before
    ]
    for body in bodies:
        answer = post_message(url, body)
        assert answer.status_code == 200, answer.text
    unread = {"language_read": None}  # one word: too short to say what it is written in
    assert rasa.metadata == [
        {"message_id": f"web-{MESSAGE}", **unread},
        {"message_id": f"web-{MESSAGE}", "redelivered": True, **unread},
        {"message_id": "web-m_0000000002", **unread},
        unread,
    ]


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ({"message_id": 12345678}, "message_id must be 8-100 letters, digits, - or _"),
        ({"message_id": "short"}, "message_id must be 8-100 letters, digits, - or _"),
        ({"message_id": "has space in it"}, "message_id must be 8-100 letters, digits, - or _"),
        ({"message_id": "x" * 101}, "message_id must be 8-100 letters, digits, - or _"),
        ({"message_id": MESSAGE, "retry": "yes"}, "retry must be true or false"),
        ({"message_id": MESSAGE, "retry": 1}, "retry must be true or false"),
        ({"retry": True}, "retry needs the message_id of the message it sends again"),
    ],
)
def test_a_malformed_message_id_or_retry_is_refused_before_the_assistant_is_asked(
    served: Serve, rasa: ScriptedRasa, extra: dict[str, object], reason: str
) -> None:
    url, _ = served()
    answer = post_message(url, {"text": "hi", **extra})
    assert answer.status_code == 400
    assert answer.json() == {"error": reason}
    assert rasa.calls == []


def test_the_gateway_refuses_to_send_the_assistant_an_id_it_would_not_take() -> None:
    assert with_message_id(None, None, True) is None  # no id: nothing to check against
    assert with_message_id({"a": 1}, "tg-7", False) == {"a": 1, "message_id": "tg-7"}
    with pytest.raises(ValueError, match="not a message id"):
        with_message_id(None, "web-" + "x" * 125, False)
