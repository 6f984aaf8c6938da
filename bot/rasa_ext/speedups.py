"""A fix for Rasa 3.6's slowest step: checking each action server reply against its JSON schema.

`RemoteAction._validate_action_result` calls `jsonschema.validate()`, which re-checks the schema
itself against the 2020-12 meta-schema before every check: about 45 ms of the Rasa server's CPU
per action call (measured with py-spy on this machine), three calls for a new learner's search.
Here the validator is compiled once and the reply checked with it, with the same errors as Rasa.
`install()` runs when the Rasa server builds our tracker store (bot/endpoints.yml), at start-up.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jsonschema import ValidationError, validators
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

HINT = (
    ". Failed to validate Action server response from API, make sure your response from the "
    f"Action endpoint is valid. For more information about the format visit "
    f"{DOCS_BASE_URL}/custom-actions"
)


@lru_cache(maxsize=1)
def response_validator() -> Any:
    """Rasa's response schema, checked once and compiled."""
    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def validate_action_result(_action: RemoteAction, result: dict[str, Any]) -> bool:
    """What RemoteAction._validate_action_result does, without re-checking the schema."""
    try:
        response_validator().validate(result)
    except ValidationError as error:
        error.message += HINT
        raise
    return True


def install() -> None:
    """Replace Rasa's per-call validation (idempotent)."""
    RemoteAction._validate_action_result = validate_action_result
