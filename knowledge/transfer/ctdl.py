"""Exporting credentials, learning opportunities and pathways as CTDL JSON-LD, the Credential
Engine's language for the Credential Registry (mapping: docs/standards.md)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from knowledge.locales import SOURCE_LANGUAGE
from knowledge.models import Career, Credential, Opportunity, Pathway, PathwayStep, Provider
from knowledge.transfer.ctdl_ids import ctid, occupation_uri, resource_uri

CONTEXT = "https://credreg.net/ctdl/schema/context/json"
# Our credential types as CTDL classes; college credit is earned per course, as in OB 3.0.
CREDENTIAL_CLASSES = {
    "badge": "ceterms:Badge",
    "micro_credential": "ceterms:MicroCredential",
    "certificate": "ceterms:Certificate",
    "certification": "ceterms:Certification",
    "license": "ceterms:License",
    "diploma": "ceterms:Diploma",
    "college_credit": "ceterms:Course",
}
COURSE = "ceterms:Course"
# Listings a learner can no longer join are not offered, so they are left out.
LEFT_OUT_STATUSES = ("inactive", "defunct")
Node = dict[str, Any]


def export_ctdl(session: Session) -> dict[str, Any]:
    """The directory as one JSON-LD document: organisations, occupations, credentials, learning
    opportunities, then each pathway followed by its components."""
    credentials = _credentials(session)
    listings = _listings(session)
    pathways = list(session.scalars(_pathways_query()))
    providers = {credential.issuer for credential in credentials if credential.issuer}
    providers |= {listing.provider for listing in listings}
    careers = {career for credential in credentials for career in credential.careers}
    careers |= {career for listing in listings for career in listing.careers}
    careers |= {career for pathway in pathways for career in pathway.careers}
    offered = {listing.id for listing in listings}
    graph: list[Node] = [organization(provider) for provider in _by_name(providers)]
    graph += [occupation(career) for career in _by_name(careers)]
    graph += [credential_node(credential, offered) for credential in credentials]
    graph += [learning_opportunity(listing) for listing in listings]
    for pathway in sorted(pathways, key=lambda item: item.key):
        graph += pathway_nodes(pathway, offered)
    return {"@context": CONTEXT, "@graph": graph}


def organization(provider: Provider) -> Node:
    """A provider as a ceterms:CredentialOrganization (it offers learning or issues credentials)."""
    node = _resource(
        "ceterms:CredentialOrganization", "organization", provider.key or provider.name
    )
    node["ceterms:name"] = _text(provider.name)
    if provider.description:
        node["ceterms:description"] = _text(provider.description)
    if provider.website:
        node["ceterms:subjectWebpage"] = provider.website
    return node


def occupation(career: Career) -> Node:
    """A career as a ceterms:Occupation (its @id is what the OB 3.0 alignments point to)."""
    node: Node = {
        "@id": occupation_uri(career),
        "@type": "ceterms:Occupation",
        "ceterms:ctid": ctid("occupation", career.key or career.name),
        "ceterms:name": _text(career.name),
    }
    if career.description:
        node["ceterms:description"] = _text(career.description)
    return node


def credential_node(credential: Credential, offered: set[int]) -> Node:
    """A credential in the CTDL class of its type, with how it is earned and what it leads to."""
    kind = CREDENTIAL_CLASSES[credential.credential_type]
    node = _resource(kind, "credential", credential.key or credential.name)
    node["ceterms:name"] = _text(credential.name)
    description = credential.description or f"A {credential.credential_type.replace('_', ' ')}."
    if credential.recognised_by:  # CTDL's recognizedBy names an organisation; ours is prose
        description += f"\n\nRecognised by: {credential.recognised_by}"
    node["ceterms:description"] = _text(description)
    awarding = sorted(
        (listing for listing in credential.awarded_by if listing.id in offered),
        key=lambda listing: (listing.title, listing.id),
    )
    languages = sorted({code for listing in awarding for code in listing.language_list})
    if languages:
        node["ceterms:inLanguage"] = languages
    if credential.issuer is not None:
        node["ceterms:ownedBy"] = [_provider_uri(credential.issuer)]
        if credential.issuer.website:
            node["ceterms:subjectWebpage"] = credential.issuer.website
    offering = _by_name({listing.provider for listing in awarding})
    if offering:
        node["ceterms:offeredBy"] = [_provider_uri(provider) for provider in offering]
    if credential.skills:
        node["ceterms:keyword"] = _text(list(credential.skills))
    node["ceterms:requires"] = [_earning_condition(credential, awarding)]
    if credential.prepares_for:
        node["ceterms:isPreparationFor"] = [_condition(credentials=credential.prepares_for)]
    if credential.careers:
        node["ceterms:occupationType"] = _occupation_types(credential.careers)
    return node


def learning_opportunity(listing: Opportunity) -> Node:
    """A listing as a ceterms:LearningOpportunityProfile: who offers it, in which languages, who
    may join and what it prepares for."""
    node = _resource(
        "ceterms:LearningOpportunityProfile", "learning-opportunity", _listing_key(listing)
    )
    node["ceterms:name"] = _text(listing.title)
    node["ceterms:description"] = _text(listing.description)
    webpage = listing.enroll_url or listing.provider.website
    if webpage:
        node["ceterms:subjectWebpage"] = webpage
    node["ceterms:ownedBy"] = [_provider_uri(listing.provider)]
    node["ceterms:offeredBy"] = [_provider_uri(listing.provider)]
    if listing.language_list:
        node["ceterms:inLanguage"] = listing.language_list
    if listing.topics:
        node["ceterms:keyword"] = _text([topic.name for topic in listing.topics])
    if listing.requires or listing.min_age is not None or listing.eligibility:
        entry = _condition(credentials=listing.requires, minimum_age=listing.min_age)
        if listing.eligibility:
            entry["ceterms:description"] = _text(listing.eligibility)
        node["ceterms:requires"] = [entry]
    leads_to = _by_name({*listing.prepares_for, *listing.awards})
    if leads_to:
        node["ceterms:isPreparationFor"] = [_condition(credentials=leads_to)]
    if listing.careers:
        node["ceterms:occupationType"] = _occupation_types(listing.careers)
    return node


def pathway_nodes(pathway: Pathway, offered: set[int]) -> list[Node]:
    """A ceterms:Pathway and its components in order: each step precedes the next, and each is
    completed after the one before it (a ceterms:ComponentCondition); the last is the goal."""
    steps = list(pathway.steps)
    uris = [_step_uri(pathway, step) for step in steps]
    node = _resource("ceterms:Pathway", "pathway", pathway.key)
    node["ceterms:name"] = _text(pathway.name)
    if pathway.description:
        node["ceterms:description"] = _text(pathway.description)
    if pathway.keywords:
        node["ceterms:keyword"] = _text(list(pathway.keywords))
    if pathway.careers:
        node["ceterms:occupationType"] = _occupation_types(pathway.careers)
    if uris:
        node["ceterms:hasPart"] = uris
        node["ceterms:hasDestinationComponent"] = [uris[-1]]
    return [node, *(_component(pathway, step, offered, uris, i) for i, step in enumerate(steps))]


def _component(
    pathway: Pathway, step: PathwayStep, offered: set[int], uris: list[str], index: int
) -> Node:
    """One step: a CredentialComponent for a credential, else a BasicComponent (a listing, or a
    step the city describes in words), standing for the record it names (ceterms:proxyFor)."""
    kind = "ceterms:CredentialComponent" if step.credential else "ceterms:BasicComponent"
    node = _resource(kind, "pathway-component", pathway.key, str(step.position))
    node["ceterms:name"] = _text(step.title)
    description = step.note or step.title
    if step.min_age is not None:  # CTDL has no minimum age on a component
        description += f"\n\nFrom age {step.min_age}."
    node["ceterms:description"] = _text(description)
    node["ceterms:isPartOf"] = [resource_uri("pathway", pathway.key)]
    if step.credential is not None:
        node["ceterms:proxyFor"] = _credential_uri(step.credential)
    elif step.opportunity is not None and step.opportunity.id in offered:
        node["ceterms:proxyFor"] = _listing_uri(step.opportunity)
    if index + 1 < len(uris):
        node["ceterms:precedes"] = [uris[index + 1]]
    if index > 0:
        node["ceterms:hasCondition"] = [
            {
                "@type": "ceterms:ComponentCondition",
                "ceterms:name": _text("Complete the step before"),
                "ceterms:requiredNumber": 1,
                "ceterms:targetComponent": [uris[index - 1]],
            }
        ]
    return node


def _earning_condition(credential: Credential, awarding: list[Opportunity]) -> Node:
    """What earning it takes: the criteria, a minimum age, credentials held first, and (as
    alternatives, any one of which will do) the listings that award it."""
    condition = _condition(credentials=credential.requires, minimum_age=credential.min_age)
    criteria = credential.criteria or "Meet the issuer's requirements for this credential."
    condition["ceterms:description"] = _text(criteria)
    if awarding:
        condition["ceterms:alternativeCondition"] = [
            {
                "@type": "ceterms:ConditionProfile",
                "ceterms:description": _text(f"Complete {listing.title}"),
                "ceterms:targetLearningOpportunity": [_listing_uri(listing)],
            }
            for listing in awarding
        ]
    return condition


def _condition(
    *, credentials: list[Credential] | None = None, minimum_age: int | None = None
) -> Node:
    """A ceterms:ConditionProfile naming credentials (held first, or prepared for) and an age."""
    condition: Node = {"@type": "ceterms:ConditionProfile"}
    if minimum_age is not None:
        condition["ceterms:minimumAge"] = minimum_age
    ordered = _by_name(credentials or [])
    # college credit is a ceterms:Course, which CTDL names as a learning opportunity
    courses = [item for item in ordered if CREDENTIAL_CLASSES[item.credential_type] == COURSE]
    if len(courses) < len(ordered):
        condition["ceterms:targetCredential"] = [
            _credential_uri(item) for item in ordered if item not in courses
        ]
    if courses:
        condition["ceterms:targetLearningOpportunity"] = [_credential_uri(c) for c in courses]
    return condition


def _occupation_types(careers: list[Career]) -> list[Node]:
    """Careers as alignments to the ceterms:Occupation nodes of this document."""
    return [
        {
            "@type": "ceterms:CredentialAlignmentObject",
            "ceterms:targetNode": occupation_uri(career),
            "ceterms:targetNodeName": _text(career.name),
        }
        for career in _by_name(careers)
    ]


def _resource(kind: str, id_kind: str, *key: str) -> Node:
    """A top-level node: its class, registry URI and CTID."""
    return {"@id": resource_uri(id_kind, *key), "@type": kind, "ceterms:ctid": ctid(id_kind, *key)}


def _text(value: str | list[str]) -> dict[str, Any]:
    """A CTDL language map in the language the directory is written in."""
    return {SOURCE_LANGUAGE: value}


def _provider_uri(provider: Provider) -> str:
    """The @id of a provider's organisation."""
    return resource_uri("organization", provider.key or provider.name)


def _credential_uri(credential: Credential) -> str:
    """The @id of a credential (keyed as its Achievement id is)."""
    return resource_uri("credential", credential.key or credential.name)


def _listing_uri(listing: Opportunity) -> str:
    """The @id of a listing's learning opportunity."""
    return resource_uri("learning-opportunity", _listing_key(listing))


def _step_uri(pathway: Pathway, step: PathwayStep) -> str:
    """The @id of a step's component: its pathway and position."""
    return resource_uri("pathway-component", pathway.key, str(step.position))


def _listing_key(listing: Opportunity) -> str:
    """A listing's natural key: its external id, else its database id."""
    return listing.external_id or f"id:{listing.id}"


def _by_name[T: (Provider, Career, Credential)](items: set[T] | list[T]) -> list[T]:
    """Records in name order, so the export repeats byte for byte."""
    return sorted(items, key=lambda item: (item.name.lower(), item.name, item.id))


def _credentials(session: Session) -> list[Credential]:
    """Every credential with what its node reads, in a few queries, by name."""
    query = select(Credential).options(
        selectinload(Credential.issuer),
        selectinload(Credential.awarded_by).selectinload(Opportunity.provider),
        selectinload(Credential.requires),
        selectinload(Credential.prepares_for),
        selectinload(Credential.careers),
    )
    return _by_name(list(session.scalars(query)))


def _listings(session: Session) -> list[Opportunity]:
    """The listings learners can join, with what their nodes read, by natural key."""
    query = (
        select(Opportunity)
        .where(Opportunity.status.not_in(LEFT_OUT_STATUSES))
        .options(
            selectinload(Opportunity.provider),
            selectinload(Opportunity.topics),
            selectinload(Opportunity.requires),
            selectinload(Opportunity.prepares_for),
            selectinload(Opportunity.awards),
            selectinload(Opportunity.careers),
        )
    )
    return sorted(session.scalars(query), key=lambda listing: (_listing_key(listing), listing.id))


def _pathways_query() -> Select[tuple[Pathway]]:
    """Pathways with their careers and steps' records, in a few queries."""
    return select(Pathway).options(
        selectinload(Pathway.careers),
        selectinload(Pathway.steps).selectinload(PathwayStep.credential),
        selectinload(Pathway.steps).selectinload(PathwayStep.opportunity),
    )
