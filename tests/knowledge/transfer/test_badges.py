"""Open Badges 3.0: each credential exported as an Achievement badge platforms can issue."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from knowledge.models import CREDENTIAL_TYPES
from knowledge.transfer import export_badges, export_hsds
from knowledge.writes import get_or_create_credential, get_or_create_provider
from tests.knowledge.transfer.factories import ACTOR, import_rows, row

CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]


def test_each_credential_is_an_achievement_with_the_required_fields(session: Session) -> None:
    issuer = get_or_create_provider(session, "Northgate Makerspace", ACTOR)
    issuer.website = "https://makers.example"
    credential = get_or_create_credential(
        session, "Arduino Explorer Badge", "badge", ACTOR, issuer=issuer
    )
    credential.key = "arduino-explorer-badge"
    credential.description = "Shows you can wire and program a microcontroller."
    credential.criteria = "Build three working circuits."
    credential.skills = ["soldering", "basic circuits"]
    session.flush()
    (achievement,) = export_badges(session)
    assert achievement["@context"] == CONTEXT
    assert achievement["type"] == ["Achievement"]
    assert achievement["id"].startswith("urn:uuid:")
    assert (achievement["name"], achievement["achievementType"]) == (
        "Arduino Explorer Badge",
        "Badge",
    )
    assert achievement["description"] == "Shows you can wire and program a microcontroller."
    assert achievement["criteria"] == {"narrative": "Build three working circuits."}
    assert achievement["tag"] == ["soldering", "basic circuits"]
    creator = achievement["creator"]
    assert (creator["type"], creator["name"], creator["url"]) == (
        ["Profile"],
        "Northgate Makerspace",
        "https://makers.example",
    )
    assert creator["id"].startswith("urn:uuid:")
    assert achievement["otherIdentifier"] == [
        {
            "type": ["IdentifierEntry"],
            "identifier": "arduino-explorer-badge",
            "identifierType": "systemId",
        }
    ]


@pytest.mark.parametrize(
    ("credential_type", "expected"),
    [
        ("badge", "Badge"),
        ("micro_credential", "MicroCredential"),
        ("certificate", "Certificate"),
        ("certification", "Certification"),
        ("license", "License"),
        ("diploma", "Diploma"),
        ("college_credit", "Course"),
    ],
)
def test_credential_types_map_to_ob3_achievement_types(
    session: Session, credential_type: str, expected: str
) -> None:
    get_or_create_credential(session, "Some Credential", credential_type, ACTOR)
    session.flush()
    (achievement,) = export_badges(session)
    assert achievement["achievementType"] == expected


def test_every_credential_type_has_an_achievement_type() -> None:
    from knowledge.transfer.badges import ACHIEVEMENT_TYPES

    assert set(ACHIEVEMENT_TYPES) == set(CREDENTIAL_TYPES)


def test_missing_description_and_criteria_are_filled_from_what_is_known(
    session: Session,
) -> None:
    import_rows(
        session, [row(credential="Chess Badge", credential_type="badge", title="Chess Club")]
    )
    (achievement,) = export_badges(session)
    assert achievement["description"] == "A badge issued by Eastside Library."
    assert achievement["criteria"] == {"narrative": "Complete one of: Chess Club."}
    assert "otherIdentifier" not in achievement


def test_achievements_are_ordered_by_name_with_ids_shared_with_hsds(session: Session) -> None:
    import_rows(
        session,
        [
            row(external_id="a", credential="Zebra Badge", credential_type="badge"),
            row(external_id="b", credential="apple Certificate", credential_type="certificate"),
        ],
    )
    achievements = export_badges(session)
    assert [a["name"] for a in achievements] == ["apple Certificate", "Zebra Badge"]
    assert export_badges(session) == achievements
    in_hsds = {
        credential["name"]: credential["id"]
        for service in export_hsds(session)["services"]
        for credential in service["x-credentials"]
    }
    assert in_hsds == {a["name"]: a["id"] for a in achievements}
