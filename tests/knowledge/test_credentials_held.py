"""Credentials a learner or their family holds: recognised in their words, kept once per person,
counted done on pathways, erased with the learner, carried over from the old names list by the
migration and kept apart per family member by the next."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from knowledge.credentials_held import (
    best_known,
    credentials_named,
    goals_after,
    held,
    held_by_each,
    held_names,
    note_held,
    pathways_from,
    spoken_of,
)
from knowledge.db import make_engine
from knowledge.learners import forget_learner, get_or_create_learner, remember_profile
from knowledge.migrate import alembic_config, upgrade
from knowledge.models import Credential, Dependant, LearnerCredential, Pathway
from knowledge.pathways import plan_steps
from knowledge.seed import seed_directory
from tests.knowledge.test_seed import CREDENTIALS, OPPORTUNITIES, write_seed

MORE_CREDENTIALS = [
    {"key": "cpr", "name": "CPR/AED & First Aid Certification", "type": "certification"},
    {"key": "food-handler", "name": "Food Handler Certification", "type": "certification"},
    {"key": "python-badge", "name": "Python Foundations Badge", "type": "badge"},
    {
        "key": "python-micro",
        "name": "Python Programming Micro-Credential",
        "type": "micro_credential",
    },
    {
        "key": "nurse-aide",
        "name": "Nurse Aide Training Certificate",
        "type": "certificate",
        "requires": ["cpr"],
    },
]
FIRST_AID_CLASS = {
    "external_id": "t-003",
    "title": "Community CPR",
    "provider": "riverside-library",
    "description": "Hands-only CPR and first aid.",
    "topics": ["art"],
    "format": "in_person",
    "awards": ["cpr"],
}


@pytest.fixture
def seeded(session: Session, tmp_path: Path) -> Session:
    """The test seed plus credentials whose names people shorten ("CPR card")."""
    folder = write_seed(
        tmp_path,
        credentials=[*CREDENTIALS, *MORE_CREDENTIALS],
        opportunities=[*OPPORTUNITIES, FIRST_AID_CLASS],
    )
    seed_directory(session, folder)
    return session


def named(session: Session, message: str) -> list[str]:
    return [credential.key or "" for credential in credentials_named(session, message)]


def credential(session: Session, key: str) -> Credential:
    found = session.scalar(select(Credential).where(Credential.key == key))
    assert found is not None
    return found


@pytest.mark.parametrize(
    ("message", "keys"),
    [
        ("I already have my CPR card, what's next?", ["cpr"]),
        ("got my food handler cert", ["food-handler"]),
        ("I'm already certified in first aid", ["cpr"]),
        ("i finished nurse aide training", ["nurse-aide"]),
        ("I have the Web Certificate", ["web-cert"]),
        ("ya tengo mi tarjeta de RCP, ¿qué sigue?", ["cpr"]),
        ("tengo mi certificado de manipulador de alimentos", ["food-handler"]),
        ("i have my servsafe", ["food-handler"]),
    ],
)
def test_a_credential_is_recognised_by_the_words_people_use(
    seeded: Session, message: str, keys: list[str]
) -> None:
    assert named(seeded, message) == keys


def test_words_that_fit_several_credentials_name_them_all(seeded: Session) -> None:
    assert sorted(named(seeded, "I passed the python badge")) == ["python-badge", "python-micro"]


@pytest.mark.parametrize(
    "message",
    ["i have my driver's license", "I have a certificate", "my credentials", "", "ya tengo uno"],
)
def test_words_that_name_no_credential_find_none(seeded: Session, message: str) -> None:
    assert named(seeded, message) == []


def test_a_credential_is_noted_once_and_listed_in_the_order_told(seeded: Session) -> None:
    learner = get_or_create_learner(seeded, "web-held")
    assert held(seeded, learner) == [] and held(seeded, None) == []
    assert note_held(seeded, learner, credential(seeded, "food-handler")) is True
    assert note_held(seeded, learner, credential(seeded, "cpr")) is True
    assert note_held(seeded, learner, credential(seeded, "food-handler")) is False
    assert [c.key for c in held(seeded, learner)] == ["food-handler", "cpr"]
    rows = seeded.scalar(select(func.count()).select_from(LearnerCredential))
    assert rows == 2


def test_holding_a_credential_counts_what_it_required_first(seeded: Session) -> None:
    names = held_names([credential(seeded, "nurse-aide")])
    assert {"nurse-aide", "nurse aide training certificate", "cpr"} <= names
    assert "cpr/aed & first aid certification" in names and "food-handler" not in names


def test_a_pathway_marks_held_credentials_done_and_starts_after_them(seeded: Session) -> None:
    learner = get_or_create_learner(seeded, "web-path")
    pathway = seeded.scalar(select(Pathway).where(Pathway.key == "software"))
    assert pathway is not None
    before = plan_steps(
        seeded, pathway, held=held_names(held(seeded, learner)), today=date(2027, 1, 1)
    )
    assert [step.state for step in before] == ["next", "later"]
    note_held(seeded, learner, credential(seeded, "code-badge"))
    after = plan_steps(
        seeded, pathway, held=held_names(held(seeded, learner)), today=date(2027, 1, 1)
    )
    assert [step.state for step in after] == ["done", "next"]


def test_pathways_and_careers_that_continue_from_a_credential(seeded: Session) -> None:
    assert [p.key for p in pathways_from(seeded, credential(seeded, "code-badge"))] == ["software"]
    assert [p.key for p in pathways_from(seeded, credential(seeded, "web-cert"))] == ["software"]
    assert pathways_from(seeded, credential(seeded, "food-handler")) == []
    assert goals_after(seeded, credential(seeded, "code-badge")) == ["Web developer"]
    assert goals_after(seeded, credential(seeded, "food-handler")) == []


def test_the_example_credential_is_the_one_most_listings_award(seeded: Session) -> None:
    example = best_known(seeded)
    assert example is not None and example.key in {"code-badge", "cpr"}
    seeded.execute(delete(Credential))
    assert best_known(seeded) is None


def test_forgetting_the_learner_erases_their_credentials_but_not_the_directory(
    seeded: Session,
) -> None:
    learner = get_or_create_learner(seeded, "web-forget")
    other = get_or_create_learner(seeded, "web-other")
    note_held(seeded, learner, credential(seeded, "cpr"))
    note_held(seeded, other, credential(seeded, "cpr"))
    assert forget_learner(seeded, "web-forget") is True
    rows = list(seeded.scalars(select(LearnerCredential)))
    assert [row.learner_id for row in rows] == [other.id]
    assert credential(seeded, "cpr").name == "CPR/AED & First Aid Certification"


def test_a_credential_leaving_the_directory_leaves_the_profiles(seeded: Session) -> None:
    learner = get_or_create_learner(seeded, "web-gone")
    note_held(seeded, learner, credential(seeded, "food-handler"))
    seeded.execute(delete(Credential).where(Credential.key == "food-handler"))
    seeded.expire_all()
    assert held(seeded, learner) == []


def migrate(url: str, direction: str, revision: str) -> None:
    """Step the schema to `revision` with Alembic's own commands."""
    engine = make_engine(url)
    with engine.begin() as connection:
        getattr(command, direction)(alembic_config(url, connection), revision)
    engine.dispose()


def rows(url: str, query: str) -> list[Any]:
    engine = make_engine(url)
    with engine.connect() as connection:
        found = list(connection.execute(text(query)))
    engine.dispose()
    return found


def test_the_migration_carries_the_old_names_over_and_back_and_keeps_the_family(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(make_engine(url), "0012")
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO credential (id, key, name, credential_type, skills, created_at, "
                "modified_at) VALUES (7, 'cpr', 'CPR Certification', 'certification', '[]', "
                "'2026-01-01', '2026-01-01')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO learner (id, sender_id, interests, credentials_held, created_at, "
                "last_seen_at, chat_language_chosen) VALUES (3, 'web-old', '[]', :held, "
                "'2026-01-01', '2026-01-01', 0)"
            ),
            {"held": json.dumps(["CPR certification", "a badge nobody lists"])},
        )
        connection.execute(
            text(
                "INSERT INTO dependant (learner_id, relation, interests) "
                "VALUES (3, 'daughter', '[]')"
            )
        )
    engine.dispose()
    migrate(url, "upgrade", "0013")
    assert rows(url, "SELECT learner_id, credential_id FROM learner_credential") == [(3, 7)]
    assert rows(url, "SELECT learner_id, relation FROM dependant") == [(3, "daughter")]
    migrate(url, "downgrade", "0012")
    (kept,) = rows(url, "SELECT credentials_held FROM learner WHERE id = 3")
    assert json.loads(kept[0]) == ["CPR Certification"]
    assert rows(url, "SELECT learner_id, relation FROM dependant") == [(3, "daughter")]


def test_a_family_members_credential_is_kept_for_them_once_apart_from_the_learners(
    seeded: Session,
) -> None:
    learner = get_or_create_learner(seeded, "web-family")
    cpr, food = credential(seeded, "cpr"), credential(seeded, "food-handler")
    assert note_held(seeded, learner, cpr, "son") is True
    assert note_held(seeded, learner, cpr, "son") is False
    assert note_held(seeded, learner, cpr) is True  # the parent holds one too
    assert note_held(seeded, learner, food, "daughter") is True
    assert [d.relation for d in learner.dependants] == ["son", "daughter"]
    assert [c.key for c in held(seeded, learner)] == ["cpr"]
    assert [c.key for c in held(seeded, learner, "son")] == ["cpr"]
    assert [c.key for c in held(seeded, learner, "daughter")] == ["food-handler"]
    assert held(seeded, learner, "nephew") == []
    assert [(who, [c.key for c in kept]) for who, kept in held_by_each(seeded, learner)] == [
        ("self", ["cpr"]),
        ("son", ["cpr"]),
        ("daughter", ["food-handler"]),
    ]
    rows = seeded.scalar(select(func.count()).select_from(LearnerCredential))
    assert rows == 3


def test_a_child_who_holds_nothing_is_not_listed(seeded: Session) -> None:
    learner = get_or_create_learner(seeded, "web-quiet")
    remember_profile(seeded, learner, relation="son", age=9)
    assert held_by_each(seeded, learner) == [] and held_by_each(seeded, None) == []
    note_held(seeded, learner, credential(seeded, "cpr"), "daughter")
    assert [who for who, _kept in held_by_each(seeded, learner)] == ["daughter"]


def test_the_database_keeps_each_persons_credential_once(seeded: Session) -> None:
    learner = get_or_create_learner(seeded, "web-twice")
    cpr = credential(seeded, "cpr")
    note_held(seeded, learner, cpr)
    note_held(seeded, learner, cpr, "son")
    son = learner.dependants[0]
    for dependant_id in (None, son.id):  # what note_held checks first, refused underneath too
        with pytest.raises(IntegrityError), seeded.begin_nested():
            seeded.add(
                LearnerCredential(
                    learner_id=learner.id, dependant_id=dependant_id, credential_id=cpr.id
                )
            )
            seeded.flush()


def test_forgetting_the_learner_erases_their_familys_credentials(seeded: Session) -> None:
    learner = get_or_create_learner(seeded, "web-forget-family")
    other = get_or_create_learner(seeded, "web-stays")
    note_held(seeded, learner, credential(seeded, "cpr"), "son")
    note_held(seeded, learner, credential(seeded, "cpr"))
    note_held(seeded, other, credential(seeded, "cpr"), "daughter")
    assert forget_learner(seeded, "web-forget-family") is True
    rows = list(seeded.scalars(select(LearnerCredential)))
    assert [(row.learner_id, row.dependant is not None) for row in rows] == [(other.id, True)]
    assert [d.learner_id for d in seeded.scalars(select(Dependant))] == [other.id]


@pytest.mark.parametrize(
    ("message", "whose"),
    [
        ("I already have my CPR card", "speaker"),
        ("ya tengo mi tarjeta de RCP", "speaker"),
        ("she already has her CPR card, what's next for her?", "other"),
        ("he got his food handler cert", "other"),
        ("ya tiene su certificado de primeros auxilios", "other"),
        ("CPR card, what's next?", None),
        ("", None),
    ],
)
def test_the_words_say_whether_the_speaker_or_someone_else_holds_it(
    message: str, whose: str | None
) -> None:
    assert spoken_of(message) == whose


def test_the_family_migration_keeps_own_credentials_and_drops_the_familys_going_back(
    migrated_from_empty: str,
) -> None:
    url = migrated_from_empty
    migrate(url, "upgrade", "0015")
    execute(
        url,
        "INSERT INTO credential (id, key, name, credential_type, skills, created_at, "
        "modified_at) VALUES (7, 'cpr', 'CPR Certification', 'certification', '[]', "
        "'2026-01-01', '2026-01-01')",
        "INSERT INTO learner (id, sender_id, interests, created_at, last_seen_at, "
        "chat_language_chosen) VALUES (3, 'web-old', '[]', '2026-01-01', '2026-01-01', false)",
        "INSERT INTO dependant (id, learner_id, relation, interests) VALUES (5, 3, 'son', '[]')",
        "INSERT INTO learner_credential (learner_id, credential_id, noted_at) "
        "VALUES (3, 7, '2026-01-01')",
    )
    migrate(url, "upgrade", "0016")
    assert rows(url, "SELECT learner_id, dependant_id, credential_id FROM learner_credential") == [
        (3, None, 7)
    ]
    add_sons = "INSERT INTO learner_credential (learner_id, dependant_id, credential_id, noted_at) "
    execute(url, add_sons + "VALUES (3, 5, 7, '2026-01-02')")
    with pytest.raises(IntegrityError):  # the son's once, the learner's own once
        execute(url, add_sons + "VALUES (3, 5, 7, '2026-01-03')")
    with pytest.raises(IntegrityError):
        execute(url, add_sons + "VALUES (3, NULL, 7, '2026-01-03')")
    execute(url, "DELETE FROM dependant WHERE id = 5")  # the son's go with him
    assert rows(url, "SELECT dependant_id FROM learner_credential") == [(None,)]
    execute(
        url,
        "INSERT INTO dependant (id, learner_id, relation, interests) "
        "VALUES (6, 3, 'daughter', '[]')",
        add_sons + "VALUES (3, 6, 7, '2026-01-04')",
    )
    migrate(url, "downgrade", "0015")
    assert rows(url, "SELECT learner_id, credential_id FROM learner_credential") == [(3, 7)]
    assert rows(url, "SELECT id, relation FROM dependant") == [(6, "daughter")]
    with pytest.raises(IntegrityError):  # one row per learner and credential again
        execute(
            url,
            "INSERT INTO learner_credential (learner_id, credential_id, noted_at) "
            "VALUES (3, 7, '2026-01-05')",
        )
    migrate(url, "upgrade", "head")
    assert rows(url, "SELECT learner_id, dependant_id FROM learner_credential") == [(3, None)]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def migrated_from_empty(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """The URL of an empty SQLite file, or of an empty PostgreSQL schema of this test's own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'm.db'}"
        return
    url = os.environ.get("WAYFINDER_TEST_POSTGRES_URL", "").strip()
    if not url:
        pytest.skip("WAYFINDER_TEST_POSTGRES_URL is not set")
    schema = "wf_family_credentials"
    execute(url, f"DROP SCHEMA IF EXISTS {schema} CASCADE", f"CREATE SCHEMA {schema}")
    yield url + ("&" if "?" in url else "?") + f"options=-csearch_path%3D{schema}"
    execute(url, f"DROP SCHEMA {schema} CASCADE")


def execute(url: str, *statements: str) -> None:
    """Run statements in one transaction."""
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        engine.dispose()
