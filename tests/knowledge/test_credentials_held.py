"""Credentials a learner holds: recognised in their words, kept once, counted done on pathways,
erased with the learner, and carried over from the old names list by the migration."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from knowledge.credentials_held import (
    best_known,
    credentials_named,
    goals_after,
    held,
    held_names,
    note_held,
    pathways_from,
)
from knowledge.db import make_engine
from knowledge.learners import forget_learner, get_or_create_learner
from knowledge.migrate import alembic_config, upgrade
from knowledge.models import Credential, LearnerCredential, Pathway
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
