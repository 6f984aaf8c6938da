"""Open Badges 3.0: each credential exported as an Achievement inside an AchievementCredential
template badge platforms can issue, carrying criteria, careers, recognition, prerequisites,
minimum age and language."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.cli import main
from knowledge.db import make_engine
from knowledge.models import CREDENTIAL_TYPES, Career, Credential
from knowledge.transfer import export_badges, export_hsds
from knowledge.transfer.badges import credentials_without_issuer, find_achievement
from knowledge.transfer.ctdl import export_ctdl
from knowledge.writes import get_or_create_credential, get_or_create_provider
from tests.knowledge.transfer.factories import ACTOR, import_rows, row

CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]


def arduino_badge(session: Session) -> Credential:
    """A badge with everything a credential can say, and one it requires."""
    issuer = get_or_create_provider(session, "Northgate Makerspace", ACTOR)
    issuer.website = "https://makers.example"
    credential = get_or_create_credential(
        session, "Arduino Explorer Badge", "badge", ACTOR, issuer=issuer
    )
    credential.key = "arduino-explorer-badge"
    credential.description = "Shows you can wire and program a microcontroller."
    credential.criteria = "Build three working circuits."
    credential.skills = ["soldering", "basic circuits"]
    credential.recognised_by = "Counts toward the robotics league's entry."
    credential.min_age = 10
    credential.requires = [
        get_or_create_credential(session, "Soldering Safety Badge", "badge", ACTOR, issuer=issuer)
    ]
    credential.careers = [
        Career(key="electrician", name="Electrician", description="Wires buildings.")
    ]
    session.flush()
    return credential


def test_each_credential_is_an_achievement_credential_template(session: Session) -> None:
    arduino_badge(session)
    templates = {item["name"]: item for item in export_badges(session)}
    template = templates["Arduino Explorer Badge"]
    assert template["@context"] == CONTEXT
    assert template["type"] == ["VerifiableCredential", "AchievementCredential"]
    assert template["id"].startswith("urn:uuid:")
    assert template["validFrom"].endswith("Z")
    issuer = template["issuer"]
    assert (issuer["type"], issuer["name"], issuer["url"]) == (
        ["Profile"],
        "Northgate Makerspace",
        "https://makers.example",
    )
    subject = template["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"] and "id" not in subject  # no learner yet
    achievement = subject["achievement"]
    assert achievement["type"] == ["Achievement"]
    assert achievement["id"].startswith("urn:uuid:")
    assert (achievement["name"], achievement["achievementType"]) == (
        "Arduino Explorer Badge",
        "Badge",
    )
    assert achievement["description"] == (
        "Shows you can wire and program a microcontroller.\n\n"
        "Recognised by: Counts toward the robotics league's entry."
    )
    assert achievement["criteria"] == {
        "narrative": "Build three working circuits.\n\n"
        "- Minimum age: 10\n- Earn first: Soldering Safety Badge"
    }
    assert achievement["inLanguage"] == "en"
    assert achievement["tag"] == ["soldering", "basic circuits"]
    assert achievement["creator"] == issuer
    assert achievement["otherIdentifier"] == [
        {
            "type": "IdentifierEntry",  # a string: the schema's IdentifierEntry is not a list
            "identifier": "arduino-explorer-badge",
            "identifierType": "systemId",
        }
    ]
    (alignment,) = achievement["alignment"]
    assert {key: alignment[key] for key in ("type", "targetName", "targetCode")} == {
        "type": ["Alignment"],
        "targetName": "Electrician",
        "targetCode": "electrician",
    }
    assert (alignment["targetType"], alignment["targetDescription"]) == ("CTDL", "Wires buildings.")
    occupations = [
        node for node in export_ctdl(session)["@graph"] if node["@type"] == "ceterms:Occupation"
    ]
    assert [node["@id"] for node in occupations] == [alignment["targetUrl"]]


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
    issuer = get_or_create_provider(session, "Harbour College", ACTOR)
    get_or_create_credential(session, "Some Credential", credential_type, ACTOR, issuer=issuer)
    session.flush()
    (template,) = export_badges(session)
    assert template["credentialSubject"]["achievement"]["achievementType"] == expected


def test_every_credential_type_has_an_achievement_type() -> None:
    from knowledge.transfer.badges import ACHIEVEMENT_TYPES

    assert set(ACHIEVEMENT_TYPES) == set(CREDENTIAL_TYPES)


def test_missing_description_and_criteria_are_filled_from_what_is_known(
    session: Session,
) -> None:
    import_rows(
        session,
        [
            row(
                credential="Chess Badge",
                credential_type="badge",
                title="Chess Club",
                languages="en;es",
            )
        ],
    )
    (template,) = export_badges(session)
    achievement = template["credentialSubject"]["achievement"]
    assert achievement["description"] == "A badge issued by Eastside Library."
    assert achievement["criteria"] == {
        "narrative": "Complete one of the programs that award it (below).\n\n"
        "- Awarded by: Chess Club (Eastside Library, taught in English, Spanish)"
    }
    assert "otherIdentifier" not in achievement and "alignment" not in achievement


def test_a_credential_without_issuer_is_issued_by_the_provider_of_a_listing_awarding_it(
    session: Session,
) -> None:
    import_rows(session, [row(credential="Chess Badge", credential_type="badge")])
    get_or_create_credential(session, "Orphan Badge", "badge", ACTOR)
    chess = session.scalars(select(Credential).where(Credential.name == "Chess Badge")).one()
    chess.issuer = None
    session.flush()
    (template,) = export_badges(session)
    assert template["issuer"]["name"] == "Eastside Library"
    assert "creator" not in template["credentialSubject"]["achievement"]
    assert credentials_without_issuer(session) == ["Orphan Badge"]


def test_achievements_are_ordered_by_name_with_ids_shared_with_hsds(session: Session) -> None:
    import_rows(
        session,
        [
            row(external_id="a", credential="Zebra Badge", credential_type="badge"),
            row(external_id="b", credential="apple Certificate", credential_type="certificate"),
        ],
    )
    achievements = [t["credentialSubject"]["achievement"] for t in export_badges(session)]
    assert [a["name"] for a in achievements] == ["apple Certificate", "Zebra Badge"]
    assert export_badges(session) == export_badges(session)
    in_hsds = {
        credential["name"]: credential["id"]
        for service in export_hsds(session)["services"]
        for credential in service["x-credentials"]
    }
    assert in_hsds == {a["name"]: a["id"] for a in achievements}


def test_an_achievement_is_found_by_the_uuid_of_its_id(session: Session) -> None:
    arduino_badge(session)
    (template, _soldering) = export_badges(session)
    achievement = template["credentialSubject"]["achievement"]
    found = find_achievement(session, uuid.UUID(achievement["id"].removeprefix("urn:uuid:")))
    assert found == {"@context": CONTEXT, **achievement}
    assert find_achievement(session, uuid.uuid4()) is None


def test_the_cli_names_the_credentials_it_left_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("WAYFINDER_DATABASE_URL", url)
    assert main(["db", "upgrade"]) == 0
    engine = make_engine(url)
    with Session(engine) as session, session.begin():
        issuer = get_or_create_provider(session, "Harbour College", ACTOR)
        get_or_create_credential(session, "Issued Badge", "badge", ACTOR, issuer=issuer)
        get_or_create_credential(session, "Orphan Badge", "badge", ACTOR)
    engine.dispose()
    capsys.readouterr()
    output = tmp_path / "badges.json"
    assert main(["directory", "export", "--format", "badges", "--output", str(output)]) == 0
    assert capsys.readouterr().err == (
        "Left out 1 credential with no issuer and no listing awarding it (Open Badges 3.0 "
        f"needs an issuer): Orphan Badge\nExported 1 achievement to {output}.\n"
    )
    (template,) = json.loads(output.read_text(encoding="utf-8"))
    assert template["name"] == "Issued Badge"
