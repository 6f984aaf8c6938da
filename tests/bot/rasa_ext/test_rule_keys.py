"""The rule policy's shorter walk back finds the rules Rasa's full walk finds."""

from __future__ import annotations

import json
import random
from typing import Any

from rasa.core.policies.rule_policy import RulePolicy
from rasa.shared.core.constants import SHOULD_NOT_BE_SET

from bot.rasa_ext import rule_keys

LISTEN = {"prev_action": {"action_name": "action_listen"}}


def _user(intent: str, **extra: Any) -> dict[str, Any]:
    return {**LISTEN, "user": {"intent": intent}, **extra}


def _after(action: str, **extra: Any) -> dict[str, Any]:
    return {"prev_action": {"action_name": action}, **extra}


SEARCHING = {"active_loop": {"name": "search_form"}}
STATES: list[dict[str, Any]] = [
    {},  # a conversation's start
    _user("greet"),
    _user("find_opportunity", slots={"topic": (1.0,)}),
    _user("inform", **SEARCHING),
    _user("bye"),
    _after("utter_greet"),
    _after("search_form", **SEARCHING),
    _after("action_search_opportunities"),
    _after("action_session_start", slots={"age": (1.0,)}),
]
RULES: list[list[dict[str, Any]]] = [
    [{}, _user("greet")],  # only at a conversation's start
    [_user("greet")],
    [_user("greet"), _after("utter_greet")],
    [_user("find_opportunity"), _after("search_form", **SEARCHING)],
    [_after("search_form", **SEARCHING), _after("action_search_opportunities")],
    [_user("inform", active_loop={"name": SHOULD_NOT_BE_SET})],
    [_after("utter_greet"), _user("bye"), _after("action_search_opportunities")],
    [_after("action_session_start", slots={"age": (1.0,)}), _user("greet")],
]


def _lookup() -> dict[str, str]:
    return {json.dumps(rule, sort_keys=True): f"action_{n}" for n, rule in enumerate(RULES)}


def _rasas(policy: RulePolicy, lookup: dict[str, str], states: list[dict[str, Any]]) -> set[str]:
    original = getattr(
        RulePolicy._get_possible_keys, "wayfinder_original", RulePolicy._get_possible_keys
    )
    return original(policy, lookup, states)  # type: ignore[no-any-return]


def test_the_rules_found_are_rasas_for_conversations_of_any_length() -> None:
    policy = RulePolicy.__new__(RulePolicy)  # matching reads no trained state but the lookup
    lookup = _lookup()
    chance = random.Random(11)
    found_any = 0
    for _ in range(3000):
        states = [chance.choice(STATES) for _ in range(chance.randint(0, 14))]
        if states and chance.random() < 0.5:
            states[0] = {}  # most conversations begin at their start
        expected = _rasas(policy, lookup, states)
        assert rule_keys.possible_keys(policy, lookup, states) == expected, states
        found_any += bool(expected)
    assert found_any > 300  # the sample exercises matching rules, not only misses


def test_a_rule_for_a_conversations_start_fits_only_there() -> None:
    policy = RulePolicy.__new__(RulePolicy)
    lookup = _lookup()
    start_rule = json.dumps(RULES[0], sort_keys=True)
    assert start_rule in rule_keys.possible_keys(policy, lookup, [{}, _user("greet")])
    later = [{}, _user("bye"), _after("utter_greet"), _user("greet")]
    assert start_rule not in rule_keys.possible_keys(policy, lookup, later)
    assert rule_keys.possible_keys(policy, {}, later) == set()


def test_install_replaces_the_walk_once() -> None:
    rule_keys.install()
    installed = RulePolicy._get_possible_keys
    rule_keys.install()
    assert RulePolicy._get_possible_keys is installed
    assert getattr(installed, "wayfinder_walk", False)
