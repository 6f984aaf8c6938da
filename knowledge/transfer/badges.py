"""Exporting credentials as Open Badges 3.0 Achievements, so badge platforms can issue them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from knowledge.models import Credential, Provider
from knowledge.transfer.hsds_export import achievement_id
from knowledge.transfer.ids import stable_id

CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
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


def export_badges(session: Session) -> list[dict[str, Any]]:
    """Every credential as an OB 3.0 Achievement, ordered by name."""
    query = select(Credential).options(
        selectinload(Credential.issuer), selectinload(Credential.awarded_by)
    )
    credentials = sorted(session.scalars(query), key=lambda item: (item.name.lower(), item.name))
    return [achievement(credential) for credential in credentials]


def achievement(credential: Credential) -> dict[str, Any]:
    """One Achievement: what it is, how it is earned, who issues it and the skills it shows."""
    result: dict[str, Any] = {
        "@context": CONTEXT,
        "id": achievement_id(credential.key or credential.name),
        "type": ["Achievement"],
        "name": credential.name,
        "description": credential.description or _default_description(credential),
        "criteria": {"narrative": credential.criteria or _default_criteria(credential)},
        "achievementType": ACHIEVEMENT_TYPES.get(credential.credential_type, "Achievement"),
        "tag": list(credential.skills or []),
    }
    if credential.issuer is not None:
        result["creator"] = profile(credential.issuer)
    if credential.key:
        result["otherIdentifier"] = [
            {
                "type": ["IdentifierEntry"],
                "identifier": credential.key,
                "identifierType": "systemId",
            }
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


def _default_description(credential: Credential) -> str:
    """OB 3.0 requires a description; say what kind of credential it is and who issues it."""
    kind = credential.credential_type.replace("_", " ")
    by = f" issued by {credential.issuer.name}" if credential.issuer else ""
    return f"A {kind}{by}."


def _default_criteria(credential: Credential) -> str:
    """OB 3.0 requires criteria; name the listings that award it when nothing else is known."""
    titles = sorted({listing.title for listing in credential.awarded_by})
    if titles:
        return "Complete one of: " + "; ".join(titles) + "."
    return "Meet the issuer's requirements for this credential."
