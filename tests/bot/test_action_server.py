"""The action server answers Rasa 3.6's calls as rasa-sdk 3.6 did (bot/action_server.py)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher
from rasa_sdk.interfaces import ActionMissingDomainException

from bot.action_server import Rasa36ActionExecutor

DOMAIN = {"forms": {"search_form": {"required_slots": ["topic", "age"]}}, "responses": {}}


class Spy(Action):
    """Keeps the domain each run was given."""

    def __init__(self) -> None:
        self.domains: list[dict[str, Any]] = []

    def name(self) -> str:
        return "action_spy"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        self.domains.append(domain)
        dispatcher.utter_message(response="utter_spied")
        return []


def call(domain: dict[str, Any] | None) -> dict[str, Any]:
    """A call as Rasa 3.6 posts it to /webhook; with selective domain, often without the domain."""
    tracker = {"sender_id": "s", "slots": {}, "latest_message": {}, "events": [], "paused": False}
    body = {"next_action": "action_spy", "sender_id": "s", "tracker": tracker, "version": "3.6.21"}
    return body if domain is None else {**body, "domain": domain}


def test_an_action_sent_no_domain_runs_with_an_empty_one_and_never_a_stale_one() -> None:
    executor, spy = Rasa36ActionExecutor(), Spy()
    executor.register_action(spy)
    replies = [asyncio.run(executor.run(call(domain))) for domain in (None, DOMAIN, None)]
    assert spy.domains == [{}, DOMAIN, {}]
    for reply in replies:  # each a 200 with the action's reply, as Rasa 3.6 reads it
        assert reply.events == []
        assert [message["response"] for message in reply.responses] == ["utter_spied"]


def test_rasa_sdks_own_executor_would_refuse_those_calls() -> None:
    """Why the subclass exists: rasa-sdk 3.21 answers 449 for Rasa Pro to retry; Rasa 3.6 never
    retries (bot/endpoints.yml sends the domain only to the actions marked send_domain)."""
    executor = ActionExecutor()
    executor.register_action(Spy())
    with pytest.raises(ActionMissingDomainException):
        asyncio.run(executor.run(call(None)))
