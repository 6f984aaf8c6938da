"""A fix for Rasa 3.6's slowest step: checking each action server reply against its JSON schema.

`RemoteAction._validate_action_result` calls `jsonschema.validate()`, which re-checks the schema
itself against the 2020-12 meta-schema before every check: about 45 ms of the Rasa server's CPU
per action call (measured with py-spy on this machine), three calls for a new learner's search.
Here the validator is compiled once, with the same errors as Rasa.

Even compiled, the check was 14 % of the Rasa server's CPU under load (py-spy, 2026-12-06): every
event of a reply is tried against all 23 branches of the schema's `oneOf`. Each branch fixes
`event` to its own constant, so only the branch named by the event's `event` can match; the
replies are first checked that way (one branch per event), and only a reply that fails is checked
again by the full schema, for Rasa's own error message.
`install()` runs when the Rasa server builds our tracker store (bot/endpoints.yml), at start-up.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jsonschema import ValidationError, validators
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.utils.schemas.events import EVENT_SCHEMA

HINT = (
    ". Failed to validate Action server response from API, make sure your response from the "
    f"Action endpoint is valid. For more information about the format visit "
    f"{DOCS_BASE_URL}/custom-actions"
)


def compiled(schema: dict[str, Any]) -> Any:
    """A validator for a schema that is checked once against its meta-schema."""
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


@lru_cache(maxsize=1)
def response_validator() -> Any:
    """Rasa's response schema, checked once and compiled."""
    return compiled(RemoteAction.action_response_format_spec())


@lru_cache(maxsize=1)
def reply_without_events() -> Any:
    """Rasa's response schema with only the shape of `events` (a list), not its items."""
    schema = RemoteAction.action_response_format_spec()
    properties = {**schema["properties"], "events": {"type": "array"}}
    return compiled({**schema, "properties": properties})


@lru_cache(maxsize=1)
def event_validators() -> dict[str, Any]:
    """Rasa's event schema with its `oneOf` resolved, one validator per `event` name."""
    common = {key: value for key, value in EVENT_SCHEMA.items() if key != "oneOf"}
    return {
        branch["properties"]["event"]["const"]: compiled({**common, "allOf": [branch]})
        for branch in EVENT_SCHEMA["oneOf"]
    }


def plainly_valid(result: Any) -> bool:
    """True only for replies Rasa's schema accepts (False may still be valid: ask the schema)."""
    if not reply_without_events().is_valid(result):
        return False
    by_name = event_validators()
    for event in result.get("events") or []:
        name = event.get("event") if isinstance(event, dict) else None
        validator = by_name.get(name) if isinstance(name, str) else None
        if validator is None or not validator.is_valid(event):
            return False
    return True


def validate_action_result(_action: RemoteAction, result: dict[str, Any]) -> bool:
    """What RemoteAction._validate_action_result does, without re-checking the schema."""
    if plainly_valid(result):
        return True
    try:
        response_validator().validate(result)
    except ValidationError as error:
        error.message += HINT
        raise
    return True


def install() -> None:
    """Replace Rasa's per-call validation (idempotent)."""
    RemoteAction._validate_action_result = validate_action_result
