"""The compiled check of action server replies accepts and refuses exactly what Rasa's does."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import ValidationError, validate
from rasa.core.actions.action import RemoteAction
from rasa.shared.utils.schemas.events import EVENT_SCHEMA
from rasa.utils.endpoints import EndpointConfig

from bot.rasa_ext import reply_check_patch

GOOD: list[dict[str, Any]] = [
    {"events": [], "responses": []},
    {
        "events": [{"event": "slot", "name": "age", "value": 12, "timestamp": None}],
        "responses": [{"text": "Hi", "buttons": [{"title": "1", "payload": "/pick"}]}],
    },
    {},
    {
        "events": [
            {"event": "action", "name": "action_listen", "policy": None, "confidence": None},
            {"event": "user", "text": "coding", "parse_data": {"intent": {"name": "inform"}}},
            {"event": "active_loop", "name": None},
            {"event": "slot", "name": "topic", "value": ["coding", "art"]},
            {"event": "followup", "name": "action_listen", "metadata": {"x": 1}},
        ]
    },
]
BAD: list[Any] = [
    {"events": "not a list"},
    {"events": [{"no": "event key"}]},
    {"events": [{"event": "slot"}]},  # a slot event needs its name
    {"responses": "hello"},
    {"events": None},
    {"events": [{"event": "no such event"}]},
    {"events": [{"event": 3}]},
    {"events": ["slot"]},
    {"events": [{"event": "slot", "name": "age", "value": 1, "timestamp": "today"}]},
    {"events": [{"event": "user", "parse_data": {"entities": [{"entity": "topic"}]}}]},
    {"events": [{"event": "action", "name": "x"}, {"event": "action", "name": 5}]},
    [],
]


def action() -> RemoteAction:
    return RemoteAction("action_x", EndpointConfig("http://localhost:5055/webhook"))


@pytest.mark.parametrize("result", GOOD)
def test_replies_rasa_accepts_pass(result: dict[str, Any]) -> None:
    validate(result, RemoteAction.action_response_format_spec())  # Rasa's own check agrees
    assert reply_check_patch.validate_action_result(action(), result) is True


@pytest.mark.parametrize("result", GOOD)
def test_ordinary_replies_take_the_one_branch_path(result: dict[str, Any]) -> None:
    assert reply_check_patch.plainly_valid(
        result
    )  # else every reply pays for the full schema again


@pytest.mark.parametrize("result", BAD)
def test_the_one_branch_path_never_accepts_what_rasa_refuses(result: Any) -> None:
    assert not reply_check_patch.plainly_valid(result)


def test_each_event_branch_is_chosen_by_its_own_event_name() -> None:
    """The shortcut holds only while every branch of Rasa's oneOf fixes a different `event`."""
    names = [branch["properties"]["event"]["const"] for branch in EVENT_SCHEMA["oneOf"]]
    assert len(names) == len(set(names)) == len(reply_check_patch.event_validators())


@pytest.mark.parametrize("result", BAD)
def test_replies_rasa_refuses_fail_with_rasas_hint(result: Any) -> None:
    with pytest.raises(ValidationError):
        validate(result, RemoteAction.action_response_format_spec())
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        reply_check_patch.validate_action_result(action(), result)


def test_install_replaces_rasas_method_so_remote_actions_use_it() -> None:
    assert "_validate_action_result" in RemoteAction.run.__code__.co_names  # Rasa still calls it
    original = RemoteAction._validate_action_result
    try:
        reply_check_patch.install()
        reply_check_patch.install()  # twice is harmless
        assert RemoteAction._validate_action_result is reply_check_patch.validate_action_result
        with pytest.raises(ValidationError):
            action()._validate_action_result({"events": "x"})
    finally:
        RemoteAction._validate_action_result = original  # type: ignore[method-assign]
