"""The rule policy matches its rules against as many past turns as its longest rule has.

Rasa 3.6's RulePolicy finds the rules that fit a conversation by walking back through every
state of it, each turn keeping the rules that fit that turn; a rule no longer than the turns
walked so far fits any earlier turn (`_is_rule_applicable` answers True at once), yet the walk
goes on to the conversation's first state, re-reading each remaining rule each time. Our rules
are at most three states long; a conversation has tens. Here the walk stops once it has gone
back as far as the longest rule: the same rules are left (the rest of the walk could only keep
them all).

The rule policy was 11 % of the Rasa server's CPU at 20 msg/s on PostgreSQL (py-spy,
2026-12-07), this walk 40 % of it. `install()` runs when the Rasa server builds our tracker
store (bot/endpoints.yml), at start-up.
"""

from __future__ import annotations

from typing import Any

from rasa.core.policies.rule_policy import RulePolicy


def possible_keys(
    policy: RulePolicy, lookup: dict[str, str], states: list[dict[str, Any]]
) -> set[str]:
    """The rule keys of `lookup` that fit the states, as RulePolicy._get_possible_keys finds."""
    kept = set(lookup)
    longest = max((len(policy._rule_key_to_state(key)) for key in kept), default=0)
    for turn, state in enumerate(reversed(states)):
        if turn >= longest:  # every rule left is shorter: each fits every earlier turn
            break
        kept = {key for key in kept if policy._is_rule_applicable(key, turn, state)}
    return kept


def install() -> None:
    """Make RulePolicy stop walking back past its longest rule (once)."""
    if getattr(RulePolicy._get_possible_keys, "wayfinder_walk", False):
        return

    def get_possible_keys(
        self: RulePolicy, lookup: dict[str, str], states: list[dict[str, Any]]
    ) -> set[str]:
        return possible_keys(self, lookup, states)

    get_possible_keys.wayfinder_walk = True  # type: ignore[attr-defined]
    get_possible_keys.wayfinder_original = RulePolicy._get_possible_keys  # type: ignore[attr-defined]
    RulePolicy._get_possible_keys = get_possible_keys
