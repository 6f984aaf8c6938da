"""CTDL: credentials, learning opportunities and pathways as JSON-LD whose every class and property
is a published CTDL term (standards/ctdl/schema.json), used on a class of its domain and, for a
reference, pointing to a class of its range."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.cli import main
from knowledge.models import CREDENTIAL_TYPES, Career, Credential, Opportunity, Pathway, PathwayStep
from knowledge.transfer.ctdl import CONTEXT, CREDENTIAL_CLASSES, export_ctdl
from knowledge.writes import get_or_create_credential, get_or_create_provider
from tests.knowledge.transfer.factories import ACTOR, csv_text, import_rows, row

STANDARD = Path(__file__).parents[3] / "standards" / "ctdl"
CTID = re.compile(r"^ce-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
LITERALS = {
    "rdf:langString": dict,  # a language map
    "xsd:integer": int,
    "xsd:string": str,
    "xsd:anyURI": str,
    "xsd:language": str,
}


@dataclass(frozen=True)
class Vocabulary:
    """CTDL's classes (each with itself and its superclasses), its properties' domains and ranges,
    and which properties the context says hold @id references."""

    classes: dict[str, frozenset[str]]
    domains: dict[str, frozenset[str]]
    ranges: dict[str, frozenset[str]]
    references: frozenset[str]


@cache
def vocabulary() -> Vocabulary:
    """The vendored CTDL schema and context, read once."""
    graph = json.loads((STANDARD / "schema.json").read_text(encoding="utf-8"))["@graph"]
    context = json.loads((STANDARD / "context.json").read_text(encoding="utf-8"))["@context"]
    parents = {
        term["@id"]: set(term.get("rdfs:subClassOf", []))
        for term in graph
        if term["@type"] == "rdfs:Class"
    }

    def lineage(name: str) -> frozenset[str]:
        found = {name}
        for parent in parents.get(name, ()):
            found |= lineage(parent)
        return frozenset(found)

    properties = [term for term in graph if term["@type"] == "rdf:Property"]
    return Vocabulary(
        classes={name: lineage(name) for name in parents},
        domains={p["@id"]: frozenset(p.get("schema:domainIncludes", [])) for p in properties},
        ranges={p["@id"]: frozenset(p.get("schema:rangeIncludes", [])) for p in properties},
        references=frozenset(
            name
            for name, rule in context.items()
            if isinstance(rule, dict) and rule.get("@type") == "@id"
        ),
    )


def problems(document: dict[str, Any]) -> list[str]:
    """Every class, property or value of the document that CTDL does not allow where it is."""
    terms = vocabulary()
    types = {node["@id"]: node["@type"] for node in document["@graph"]}
    found: list[str] = []

    def check(node: dict[str, Any], where: str) -> None:
        kind = node.get("@type")
        if kind not in terms.classes:
            found.append(f"{where}: {kind!r} is not a CTDL class")
            return
        for name, value in node.items():
            if name in ("@id", "@type"):
                continue
            at = f"{where}.{name}"
            if name not in terms.domains:
                found.append(f"{at}: not a CTDL property")
                continue
            if not terms.domains[name] & terms.classes[kind]:
                found.append(f"{at}: not a property of {kind}")
            for item in value if isinstance(value, list) else [value]:
                check_value(name, item, at)

    def check_value(name: str, value: Any, where: str) -> None:
        allowed = terms.ranges[name]
        if isinstance(value, dict) and "@type" in value:
            if not allowed & terms.classes.get(value["@type"], frozenset()):
                found.append(f"{where}: a {value['@type']} is outside its range")
            check(value, where)
        elif name in terms.references and not allowed & set(LITERALS):
            target = types.get(value)
            if target is None:
                found.append(f"{where}: {value!r} is no resource of this document")
            elif not allowed & terms.classes[target]:
                found.append(f"{where}: {value!r} is a {target}, outside its range")
        else:
            literal = next((LITERALS[r] for r in allowed if r in LITERALS), None)
            if literal is None:
                found.append(f"{where}: a literal where CTDL wants {sorted(allowed)}")
            elif literal is not None and not isinstance(value, literal):
                found.append(f"{where}: {value!r} is not a {literal.__name__}")

    for number, node in enumerate(document["@graph"]):
        check(node, f"@graph[{number}]")
    return found


def node_named(document: dict[str, Any], name: str) -> dict[str, Any]:
    """The resource of the document with this English name."""
    found: list[dict[str, Any]] = [
        node for node in document["@graph"] if node["ceterms:name"] == {"en": name}
    ]
    assert len(found) == 1, name
    return found[0]


def test_every_term_of_the_demo_export_is_ctdl_where_it_is_used(demo_session: Session) -> None:
    document = export_ctdl(demo_session)
    assert document["@context"] == CONTEXT == "https://credreg.net/ctdl/schema/context/json"
    assert problems(document) == []
    kinds = {node["@type"] for node in document["@graph"]}
    assert kinds >= {
        "ceterms:CredentialOrganization",
        "ceterms:Occupation",
        "ceterms:Badge",
        "ceterms:MicroCredential",
        "ceterms:Certificate",
        "ceterms:Certification",
        "ceterms:License",
        "ceterms:Diploma",
        "ceterms:Course",
        "ceterms:LearningOpportunityProfile",
        "ceterms:Pathway",
        "ceterms:CredentialComponent",
        "ceterms:BasicComponent",
    }
    assert sum(node["@type"] == "ceterms:Pathway" for node in document["@graph"]) == len(
        list(demo_session.scalars(select(Pathway)))
    )


def test_the_checker_finds_unknown_terms_wrong_domains_and_wrong_ranges() -> None:
    course = "https://example.org/course"
    document = {
        "@graph": [
            {"@id": course, "@type": "ceterms:Course", "ceterms:name": {"en": "Welding"}},
            {
                "@id": "https://example.org/badge",
                "@type": "ceterms:Badge",
                "ceterms:hasChild": [course],
                "ceterms:minimumAge": 12,
                "ceterms:isPreparationFor": [
                    {"@type": "ceterms:ConditionProfile", "ceterms:targetCredential": [course]}
                ],
                "ceterms:name": "Welding Badge",
            },
            {"@id": "https://example.org/x", "@type": "ceterms:Widget"},
        ]
    }
    assert problems(document) == [
        "@graph[1].ceterms:hasChild: not a CTDL property",
        "@graph[1].ceterms:minimumAge: not a property of ceterms:Badge",
        "@graph[1].ceterms:isPreparationFor.ceterms:targetCredential: "
        "'https://example.org/course' is a ceterms:Course, outside its range",
        "@graph[1].ceterms:name: 'Welding Badge' is not a dict",
        "@graph[2]: 'ceterms:Widget' is not a CTDL class",
    ]


def test_each_credential_type_is_a_ctdl_class() -> None:
    assert set(CREDENTIAL_CLASSES) == set(CREDENTIAL_TYPES)
    classes = vocabulary().classes
    for credential_type, kind in CREDENTIAL_CLASSES.items():
        expected = "ceterms:Course" if credential_type == "college_credit" else "ceterms:Credential"
        assert expected in classes[kind], kind


def test_ctids_are_ce_uuid_v4_unique_and_the_same_on_every_export(session: Session) -> None:
    import_rows(session, [row(credential="Chess Badge", credential_type="badge")])
    document = export_ctdl(session)
    ctids = [node["ceterms:ctid"] for node in document["@graph"]]
    assert len(ctids) == len(set(ctids)) == 3  # organisation, credential, learning opportunity
    assert all(CTID.match(ctid) for ctid in ctids)
    assert all(uuid.UUID(ctid.removeprefix("ce-")).version == 4 for ctid in ctids)
    for node in document["@graph"]:
        assert (
            node["@id"] == f"https://credentialengineregistry.org/resources/{node['ceterms:ctid']}"
        )
    assert export_ctdl(session) == document


def test_a_credential_says_how_it_is_earned_and_what_it_prepares_for(session: Session) -> None:
    import_rows(session, [row(credential="Robotics Badge", credential_type="badge")])
    college = get_or_create_provider(session, "Harbour College", ACTOR)
    robotics = session.scalars(select(Credential).where(Credential.name == "Robotics Badge")).one()
    robotics.min_age = 10
    robotics.criteria = "Build a robot."
    robotics.recognised_by = "The league accepts it."
    robotics.skills = ["wiring"]
    robotics.requires = [
        get_or_create_credential(session, "Safety Badge", "badge", ACTOR, issuer=college),
        get_or_create_credential(session, "Intro Credit", "college_credit", ACTOR, issuer=college),
    ]
    robotics.prepares_for = [
        get_or_create_credential(session, "Engineering Certificate", "certificate", ACTOR)
    ]
    robotics.careers = [Career(key="engineer", name="Engineer")]
    session.flush()
    document = export_ctdl(session)
    assert problems(document) == []
    badge = node_named(document, "Robotics Badge")
    uri = {name: node_named(document, name)["@id"] for name in ("Safety Badge", "Intro Credit")}
    assert badge["@type"] == "ceterms:Badge"
    assert badge["ceterms:description"]["en"].endswith("\n\nRecognised by: The league accepts it.")
    assert badge["ceterms:keyword"] == {"en": ["wiring"]}
    assert badge["ceterms:inLanguage"] == ["en"]
    assert badge["ceterms:ownedBy"] == badge["ceterms:offeredBy"]
    (earning,) = badge["ceterms:requires"]
    assert earning["ceterms:description"] == {"en": "Build a robot."}
    assert earning["ceterms:minimumAge"] == 10
    assert earning["ceterms:targetCredential"] == [uri["Safety Badge"]]
    assert earning["ceterms:targetLearningOpportunity"] == [uri["Intro Credit"]]  # a Course
    (by_listing,) = earning["ceterms:alternativeCondition"]
    listing = node_named(document, "Saturday Code Club")
    assert by_listing["ceterms:targetLearningOpportunity"] == [listing["@id"]]
    (prepares,) = badge["ceterms:isPreparationFor"]
    engineering = node_named(document, "Engineering Certificate")
    assert prepares["ceterms:targetCredential"] == [engineering["@id"]]
    (career,) = badge["ceterms:occupationType"]
    assert career["ceterms:targetNode"] == node_named(document, "Engineer")["@id"]
    assert listing["ceterms:isPreparationFor"][0]["ceterms:targetCredential"] == [badge["@id"]]


def test_a_pathway_is_its_components_in_order_each_after_the_one_before(
    session: Session,
) -> None:
    import_rows(session, [row(credential="Code Badge", credential_type="badge")])
    listing = session.scalars(select(Opportunity)).one()
    badge = session.scalars(select(Credential)).one()
    session.add(
        Pathway(
            key="coding",
            name="Coding",
            careers=[Career(key="developer", name="Software developer")],
            steps=[
                PathwayStep(position=1, title="Join the club", opportunity=listing, min_age=10),
                PathwayStep(position=2, title="Earn the badge", credential=badge),
                PathwayStep(position=3, title="Apply for an internship", note="Ask around."),
            ],
        )
    )
    session.flush()
    document = export_ctdl(session)
    assert problems(document) == []
    pathway = node_named(document, "Coding")
    steps = [node_named(document, title) for title in ("Join the club", "Earn the badge")]
    steps.append(node_named(document, "Apply for an internship"))
    uris = [step["@id"] for step in steps]
    assert pathway["ceterms:hasPart"] == uris
    assert pathway["ceterms:hasDestinationComponent"] == [uris[2]]
    assert pathway["ceterms:occupationType"][0]["ceterms:targetNodeName"] == {
        "en": "Software developer"
    }
    assert [step["@type"] for step in steps] == [
        "ceterms:BasicComponent",
        "ceterms:CredentialComponent",
        "ceterms:BasicComponent",
    ]
    assert steps[0]["ceterms:proxyFor"] == node_named(document, "Saturday Code Club")["@id"]
    assert steps[1]["ceterms:proxyFor"] == node_named(document, "Code Badge")["@id"]
    assert "ceterms:proxyFor" not in steps[2]
    assert steps[0]["ceterms:description"] == {"en": "Join the club\n\nFrom age 10."}
    assert steps[2]["ceterms:description"] == {"en": "Ask around."}
    assert [step.get("ceterms:precedes") for step in steps] == [[uris[1]], [uris[2]], None]
    assert "ceterms:hasCondition" not in steps[0]
    for before, step in zip(uris, steps[1:], strict=False):
        (condition,) = step["ceterms:hasCondition"]
        assert (condition["ceterms:requiredNumber"], condition["ceterms:targetComponent"]) == (
            1,
            [before],
        )
    assert all(step["ceterms:isPartOf"] == [pathway["@id"]] for step in steps)


def test_listings_learners_cannot_join_are_left_out(session: Session) -> None:
    import_rows(session, [row(external_id="a", title="Open Club"), row(external_id="b")])
    closed = session.scalars(select(Opportunity).where(Opportunity.external_id == "b")).one()
    closed.status = "defunct"
    session.flush()
    names = [node["ceterms:name"]["en"] for node in export_ctdl(session)["@graph"]]
    assert names == ["Eastside Library", "Open Club"]


@pytest.fixture
def migrated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The CLI on a migrated, empty SQLite directory."""
    monkeypatch.setenv("WAYFINDER_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()


def test_the_cli_writes_the_ctdl_export(
    migrated: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = tmp_path / "groups.csv"
    sheet.write_text(csv_text([row(credential="Code Badge", credential_type="badge")]), "utf-8")
    assert main(["directory", "import", str(sheet)]) == 0
    capsys.readouterr()
    output = tmp_path / "directory.jsonld"
    assert main(["directory", "export", "--format", "ctdl", "--output", str(output)]) == 0
    assert capsys.readouterr().err == f"Exported 3 CTDL resources to {output}.\n"
    document = json.loads(output.read_text(encoding="utf-8"))
    assert document["@context"] == CONTEXT and problems(document) == []
