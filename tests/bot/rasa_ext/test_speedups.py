"""The compiled check of action server replies accepts and refuses exactly what Rasa's does."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import ValidationError, validate
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

from bot.rasa_ext import speedups

GOOD: list[dict[str, Any]] = [
    {"events": [], "responses": []},
    {
        "events": [{"event": "slot", "name": "age", "value": 12, "timestamp": None}],
        "responses": [{"text": "Hi", "buttons": [{"title": "1", "payload": "/pick"}]}],
    },
    {},
]
BAD: list[dict[str, Any]] = [
    {"events": "not a list"},
    {"events": [{"no": "event key"}]},
    {"events": [{"event": "slot"}]},  # a slot event needs its name
    {"responses": "hello"},
]


def action() -> RemoteAction:
    return RemoteAction("action_x", EndpointConfig("http://localhost:5055/webhook"))


@pytest.mark.parametrize("result", GOOD)
def test_replies_rasa_accepts_pass(result: dict[str, Any]) -> None:
    validate(result, RemoteAction.action_response_format_spec())  # Rasa's own check agrees
    assert speedups.validate_action_result(action(), result) is True


@pytest.mark.parametrize("result", BAD)
def test_replies_rasa_refuses_fail_with_rasas_hint(result: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        validate(result, RemoteAction.action_response_format_spec())
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        speedups.validate_action_result(action(), result)


def test_install_replaces_rasas_method_so_remote_actions_use_it() -> None:
    assert "_validate_action_result" in RemoteAction.run.__code__.co_names  # Rasa still calls it
    original = RemoteAction._validate_action_result
    try:
        speedups.install()
        speedups.install()  # twice is harmless
        assert RemoteAction._validate_action_result is speedups.validate_action_result
        with pytest.raises(ValidationError):
            action()._validate_action_result({"events": "x"})
    finally:
        RemoteAction._validate_action_result = original  # type: ignore[method-assign]
