"""The action server answers Rasa 3.6's calls as rasa-sdk 3.6 did (bot/action_server.py)."""

from __future__ import annotations

import asyncio
import contextvars
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
from rasa_sdk import Action, Tracker
from rasa_sdk.endpoint import create_app_for_serve
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher
from rasa_sdk.interfaces import ActionMissingDomainException, ActionNotFoundException

from bot.action_server import Rasa36ActionExecutor, observe
from bot.gateway.rasa import RasaClient
from bot.observability.logs import REQUEST_ID, JsonFormatter, RequestIdFilter
from bot.observability.metrics import ACTION_SERVER, exposition
from knowledge.db import make_engine
from tests.serving import free_port, serving_app

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


# Operations (bot/observability): the request id in each action's log lines, run times, probes.


class Talker(Action):
    """Logs one line, as an action searching the directory does; fails when told to."""

    def name(self) -> str:
        return "action_talk"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if tracker.latest_message.get("text") == "fail":
            raise RuntimeError("the action broke")
        logging.getLogger("tests.action_server").info("searching for %s", tracker.sender_id)
        return []


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """The JSON lines the action's logger writes."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter("action_server"))
    log = logging.getLogger("tests.action_server")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    yield out
    log.removeHandler(handler)


def action_call(message: dict[str, Any], action: str = "action_talk") -> dict[str, Any]:
    """Rasa 3.6's call to run `action` after the user message `message` (its parse data)."""
    body = call(None)
    return {
        **body,
        "next_action": action,
        "tracker": {**body["tracker"], "latest_message": message},
    }


def test_the_gateways_request_id_reaches_the_actions_log_lines_through_the_metadata(
    json_lines: io.StringIO,
) -> None:
    """Gateway → Rasa → action server: the gateway's RasaClient puts the message's id in the
    metadata; Rasa hands it on in latest_message; the action runs in a context of its own (as in
    its own process) and logs under that id."""
    executor = Rasa36ActionExecutor()
    executor.register_action(Talker())

    async def rasa(request: httpx.Request) -> httpx.Response:
        sent = json.loads(request.content)
        message = {"text": sent["message"], "metadata": sent["metadata"]}
        run = executor.run(action_call(message))
        await asyncio.create_task(run, context=contextvars.Context())  # nothing shared
        return httpx.Response(200, json=[])

    async def gateway_turn() -> None:
        REQUEST_ID.set("lb-42")  # as the gateway's middleware sets it from X-Request-ID
        client = RasaClient("http://rasa", httpx.AsyncClient(transport=httpx.MockTransport(rasa)))
        await client.send("s", "hello", "web", {"language_hint": "es"})
        await client.close()

    asyncio.run(gateway_turn())
    (line,) = [json.loads(text) for text in json_lines.getvalue().splitlines()]
    assert line["request_id"] == "lb-42" and line["message"] == "searching for s"
    assert line["service"] == "action_server"


def test_a_call_without_an_id_gets_a_new_one_per_run_and_none_leaks_after(
    json_lines: io.StringIO,
) -> None:
    executor = Rasa36ActionExecutor()
    executor.register_action(Talker())

    async def two_runs() -> str | None:
        await executor.run(action_call({"text": "hi"}))  # a reminder: no metadata
        await executor.run(action_call({"text": "hi", "metadata": {"request_id": "bad id!"}}))
        return REQUEST_ID.get()

    assert asyncio.run(two_runs()) is None
    ids = [json.loads(text)["request_id"] for text in json_lines.getvalue().splitlines()]
    assert len(ids) == 2 and ids[0] != ids[1] and all(len(found) == 32 for found in ids)


def test_run_times_are_kept_by_action_name_and_failures_counted_by_kind() -> None:
    executor = Rasa36ActionExecutor()
    executor.register_action(Talker())

    def count(name: str, labels: dict[str, str]) -> float:
        return ACTION_SERVER.get_sample_value(name, labels) or 0.0

    talk, unknown = {"action": "action_talk"}, {"action": "unknown"}
    before = [
        count("wayfinder_action_seconds_count", talk),
        count("wayfinder_action_seconds_count", unknown),
        count("wayfinder_errors_total", {"kind": "action_failed"}),
        count("wayfinder_errors_total", {"kind": "unknown_action"}),
    ]
    asyncio.run(executor.run(action_call({"text": "hi"})))
    with pytest.raises(RuntimeError):
        asyncio.run(executor.run(action_call({"text": "fail"})))
    with pytest.raises(ActionNotFoundException):
        asyncio.run(executor.run(action_call({"text": "hi"}, action="action_made_up")))
    after = [
        count("wayfinder_action_seconds_count", talk),
        count("wayfinder_action_seconds_count", unknown),
        count("wayfinder_errors_total", {"kind": "action_failed"}),
        count("wayfinder_errors_total", {"kind": "unknown_action"}),
    ]
    assert [a - b for a, b in zip(after, before, strict=True)] == [2, 1, 1, 1]
    assert "action_made_up" not in exposition(ACTION_SERVER).decode()  # no name from outside


@pytest.mark.parametrize("database_up", [True, False])
def test_the_action_server_serves_metrics_and_its_readiness_beside_health(
    tmp_path: Path, database_up: bool
) -> None:
    url = (
        f"sqlite:///{tmp_path / 'actions.db'}"
        if database_up
        else f"postgresql+psycopg://root@127.0.0.1:{free_port()}/nowhere"
    )
    executor = Rasa36ActionExecutor()
    executor.register_action(Talker())
    app = create_app_for_serve(executor)
    observe(app, make_engine(url))
    with serving_app(app) as base:
        asyncio.run(executor.run(action_call({"text": "hi"})))
        metrics = requests.get(f"{base}/metrics", timeout=5).text
        assert 'wayfinder_action_seconds_count{action="action_talk"}' in metrics
        assert "process_resident_memory_bytes" in metrics and "wayfinder_messages" not in metrics
        ready = requests.get(f"{base}/ready", timeout=10)
        assert ready.status_code == (200 if database_up else 503)
        assert list(ready.json()["checks"]) == ["database"]
        assert ready.json()["checks"]["database"]["ok"] is database_up
        assert requests.get(f"{base}/health", timeout=5).json() == {"status": "ok"}
