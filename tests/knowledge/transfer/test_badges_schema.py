"""Every Open Badges 3.0 object the directory exports validates against 1EdTech's published JSON
Schemas (standards/openbadges-3.0/), with format checking on."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft201909Validator, validators
from jsonschema.protocols import Validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from knowledge.models import Credential
from knowledge.transfer import export_badges
from knowledge.transfer.badges import credentials_without_issuer

STANDARD = Path(__file__).parents[3] / "standards" / "openbadges-3.0"


@cache
def validator(name: str) -> Validator:
    """The schema's validator class, as its $schema names it, checking formats (date-time, …)."""
    schema = json.loads((STANDARD / name).read_text(encoding="utf-8"))
    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def errors(name: str, document: dict[str, Any]) -> list[str]:
    """What the schema says is wrong with the document (empty when it validates)."""
    found = validator(name).iter_errors(document)
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in found]


def test_the_vendored_schemas_are_draft_2019_09_and_check_formats() -> None:
    assert isinstance(validator("achievementcredential.json"), Draft201909Validator)
    assert isinstance(validator("profile.json"), Draft201909Validator)
    # format checking is on and really checks dates (jsonschema skips formats it cannot check)
    assert not validator("profile.json").is_valid(
        {"id": "urn:x", "type": ["Profile"], "dateOfBirth": "not a date"}
    )


def test_every_demo_credential_is_a_valid_achievement_credential(demo_session: Session) -> None:
    templates = export_badges(demo_session)
    total = demo_session.scalar(select(func.count()).select_from(Credential))
    assert credentials_without_issuer(demo_session) == []
    assert len(templates) == total == 48
    failing = {t["name"]: errors("achievementcredential.json", t) for t in templates}
    assert {name: found for name, found in failing.items() if found} == {}
    for template in templates:
        assert errors("profile.json", template["issuer"]) == []
        creator = template["credentialSubject"]["achievement"].get("creator")
        assert creator is None or errors("profile.json", creator) == []


def test_the_demo_carries_careers_recognition_prerequisites_and_ages(
    demo_session: Session,
) -> None:
    credentials = {c.name: c for c in demo_session.scalars(select(Credential))}
    for template in export_badges(demo_session):
        achievement = template["credentialSubject"]["achievement"]
        credential = credentials[achievement["name"]]
        narrative = achievement["criteria"]["narrative"]
        careers = [alignment["targetName"] for alignment in achievement.get("alignment", [])]
        assert careers == sorted(career.name for career in credential.careers)
        assert ("Recognised by: " in achievement["description"]) == bool(credential.recognised_by)
        assert ("- Earn first: " in narrative) == bool(credential.requires)
        minimum = f"- Minimum age: {credential.min_age}"
        assert (minimum in narrative.splitlines()) == (credential.min_age is not None)
        assert narrative.count("- Awarded by: ") == len(credential.awarded_by)
    assert sum(bool(c.careers) for c in credentials.values()) >= 10  # the demo has them all
    assert sum(bool(c.requires) for c in credentials.values()) >= 5


def test_the_schema_refuses_what_the_export_used_to_write(demo_session: Session) -> None:
    (template, *_) = export_badges(demo_session)
    old = copy.deepcopy(template)
    old["credentialSubject"]["achievement"]["otherIdentifier"] = [
        {"type": ["IdentifierEntry"], "identifier": "x", "identifierType": "systemId"}
    ]
    assert errors("achievementcredential.json", old)
    undated = copy.deepcopy(template) | {"validFrom": "2027-01-01 10:00"}
    assert errors("achievementcredential.json", undated)
