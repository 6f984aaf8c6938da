"""Exporting credentials as Open Badges 3.0 Achievements, each inside an AchievementCredential
template, so badge platforms can issue them (mapping: docs/standards.md)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from knowledge.languages import language_name
from knowledge.locales import SOURCE_LANGUAGE
from knowledge.models import Career, Credential, Opportunity, Provider
from knowledge.transfer.ctdl_ids import occupation_uri
from knowledge.transfer.hsds_export import achievement_id
from knowledge.transfer.ids import stable_id

CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
CREDENTIAL_TYPE = ["VerifiableCredential", "AchievementCredential"]
# Our credential types as OB 3.0 AchievementType terms; college credit is earned per course.
ACHIEVEMENT_TYPES = {
    "badge": "Badge",
    "micro_credential": "MicroCredential",
    "certificate": "Certificate",
    "certification": "Certification",
    "license": "License",
    "diploma": "Diploma",
    "college_credit": "Course",
}
# OB 3.0's AlignmentTargetType for a node published in CTDL (our careers: ceterms:Occupation).
CAREER_TARGET_TYPE = "CTDL"


def export_badges(session: Session) -> list[dict[str, Any]]:
    """Every credential someone issues, as an AchievementCredential template, ordered by name."""
    return [
        credential_template(credential, issuer)
        for credential in _credentials(session)
        if (issuer := issuer_of(credential)) is not None
    ]


def credentials_without_issuer(session: Session) -> list[str]:
    """Credentials no template can be built for (no issuer, no listing awards them), by name."""
    return [
        credential.name for credential in _credentials(session) if issuer_of(credential) is None
    ]


def find_achievement(session: Session, achievement_uuid: uuid.UUID) -> dict[str, Any] | None:
    """The Achievement (with its @context) whose id is urn:uuid:<achievement_uuid>, if any."""
    wanted = f"urn:uuid:{achievement_uuid}"
    keys = session.execute(select(Credential.id, Credential.key, Credential.name))
    for credential_id, key, name in keys:
        if achievement_id(key or name) == wanted:
            found = session.scalars(_query().where(Credential.id == credential_id)).one()
            return {"@context": CONTEXT, **achievement(found)}
    return None


def credential_template(credential: Credential, issuer: Provider) -> dict[str, Any]:
    """The credential an issuer hands a learner, without the learner: the platform that issues it
    adds credentialSubject.id (the recipient), its own validFrom and a proof."""
    modified = credential.modified_at.replace(tzinfo=credential.modified_at.tzinfo or UTC)
    return {
        "@context": CONTEXT,
        "id": f"urn:uuid:{stable_id('achievement-credential', _natural_key(credential))}",
        "type": CREDENTIAL_TYPE,
        "name": credential.name,
        "issuer": profile(issuer),
        "validFrom": _timestamp(modified),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "achievement": achievement(credential),
        },
    }


def achievement(credential: Credential) -> dict[str, Any]:
    """One Achievement: what it is, how it is earned, who issues it, the skills it shows and the
    careers it leads to."""
    result: dict[str, Any] = {
        "id": achievement_id(_natural_key(credential)),
        "type": ["Achievement"],
        "name": credential.name,
        "description": _description(credential),
        "criteria": {"narrative": criteria_narrative(credential)},
        "achievementType": ACHIEVEMENT_TYPES.get(credential.credential_type, "Achievement"),
        "inLanguage": SOURCE_LANGUAGE,  # the language the directory's texts are written in
        "tag": list(credential.skills or []),
    }
    if credential.issuer is not None:
        result["creator"] = profile(credential.issuer)
    careers = sorted(credential.careers, key=lambda career: career.name)
    if careers:
        result["alignment"] = [_alignment(career) for career in careers]
    if credential.key:
        result["otherIdentifier"] = [
            {"type": "IdentifierEntry", "identifier": credential.key, "identifierType": "systemId"}
        ]
    return result


def profile(provider: Provider) -> dict[str, Any]:
    """The issuer as an OB 3.0 Profile."""
    issuer: dict[str, Any] = {
        "id": f"urn:uuid:{stable_id('organization', provider.key or provider.name)}",
        "type": ["Profile"],
        "name": provider.name,
    }
    if provider.website:
        issuer["url"] = provider.website
    if provider.email:
        issuer["email"] = provider.email
    if provider.phone:
        issuer["phone"] = provider.phone
    if provider.description:
        issuer["description"] = provider.description
    return issuer


def issuer_of(credential: Credential) -> Provider | None:
    """Who issues it: its issuer, else the provider of the first listing (by title) awarding it."""
    if credential.issuer is not None:
        return credential.issuer
    listings = _awarding(credential)
    return listings[0].provider if listings else None


def criteria_narrative(credential: Credential) -> str:
    """How to earn it, in Markdown: the criteria, then what OB 3.0 has no field for (minimum age,
    credentials needed first, the listings that award it and the languages they are taught in)."""
    lines = [credential.criteria or _default_criteria(credential)]
    facts = []
    if credential.min_age is not None:
        facts.append(f"- Minimum age: {credential.min_age}")
    required = sorted(required.name for required in credential.requires)
    if required:
        facts.append("- Earn first: " + "; ".join(required))
    for listing in _awarding(credential):
        languages = ", ".join(language_name(code) for code in listing.language_list)
        taught = f", taught in {languages}" if languages else ""
        facts.append(f"- Awarded by: {listing.title} ({listing.provider.name}{taught})")
    if facts:
        lines.append("\n".join(facts))
    return "\n\n".join(lines)


def _credentials(session: Session) -> list[Credential]:
    """Every credential with what the export reads, ordered by name."""
    return sorted(session.scalars(_query()), key=lambda item: (item.name.lower(), item.name))


def _query() -> Select[tuple[Credential]]:
    """Credentials with what an Achievement reads, loaded in a few queries."""
    return select(Credential).options(
        selectinload(Credential.issuer),
        selectinload(Credential.awarded_by).selectinload(Opportunity.provider),
        selectinload(Credential.requires),
        selectinload(Credential.careers),
    )


def _natural_key(credential: Credential) -> str:
    """What the credential's exported ids derive from (the same in HSDS, OB 3.0 and CTDL)."""
    return credential.key or credential.name


def _awarding(credential: Credential) -> list[Opportunity]:
    """The listings that award it, by title then id, so exports repeat."""
    return sorted(credential.awarded_by, key=lambda listing: (listing.title, listing.id))


def _alignment(career: Career) -> dict[str, Any]:
    """A career the credential leads to, aligned to the ceterms:Occupation of the CTDL export."""
    alignment: dict[str, Any] = {
        "type": ["Alignment"],
        "targetName": career.name,
        "targetUrl": occupation_uri(career),
        "targetType": CAREER_TARGET_TYPE,
    }
    if career.key:
        alignment["targetCode"] = career.key
    if career.description:
        alignment["targetDescription"] = career.description
    return alignment


def _description(credential: Credential) -> str:
    """The description, then who recognises it (OB 3.0 has no field for recognition in text)."""
    text = credential.description or _default_description(credential)
    if credential.recognised_by:
        text += f"\n\nRecognised by: {credential.recognised_by}"
    return text


def _default_description(credential: Credential) -> str:
    """OB 3.0 requires a description; say what kind of credential it is and who issues it."""
    kind = credential.credential_type.replace("_", " ")
    by = f" issued by {credential.issuer.name}" if credential.issuer else ""
    return f"A {kind}{by}."


def _default_criteria(credential: Credential) -> str:
    """OB 3.0 requires criteria; name the listings that award it when nothing else is known."""
    if credential.awarded_by:
        return "Complete one of the programs that award it (below)."
    return "Meet the issuer's requirements for this credential."


def _timestamp(moment: datetime) -> str:
    """A DateTimeZ as OB 3.0 wants it: UTC, seconds, a trailing Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
