"""The Alembic migrations own the schema: they build it from empty, match the models, keep data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.orm import Session

from knowledge.db import make_engine
from knowledge.history import Actor
from knowledge.migrate import alembic_config, current_revision, head_revision, upgrade
from knowledge.models import Base, Opportunity
from knowledge.models.search import in_model_comparison
from knowledge.search.index import search_text_for
from knowledge.writes import (
    get_or_create_credential,
    get_or_create_provider,
    get_or_create_topic,
    upsert_opportunity,
)

ACTOR = Actor(name="test", source="cli")


def _context(connection: Connection) -> MigrationContext:
    """A comparison context that, like the migrations' env.py, leaves the engine's full-text
    objects out (they are DDL the models add, not tables or indexes they declare)."""
    return MigrationContext.configure(connection, opts={"include_name": in_model_comparison})


def test_upgrade_builds_every_table_from_empty(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())


def test_migrations_match_the_models(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    upgrade(engine)
    with engine.connect() as connection:
        diff = compare_metadata(_context(connection), Base.metadata)
    assert diff == [], f"models and migrations disagree; add a migration: {diff}"


def test_upgrade_twice_keeps_data(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    upgrade(engine)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO topic (name) VALUES ('chess')"))
    upgrade(engine)
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT name FROM topic")) == "chess"


def full_text_objects(engine: Engine) -> set[tuple[str, str, str]]:
    """SQLite's full-text table, its vocabulary and triggers: (type, name, SQL in one line)."""
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT type, name, sql FROM sqlite_master "
                "WHERE name IN ('search_fts', 'search_fts_vocab') "
                "OR (type = 'trigger' AND name LIKE 'search_fts%')"
            )
        )
        return {(kind, name, " ".join(sql.split())) for kind, name, sql in rows}


def downgrade(engine: Engine, revision: str) -> None:
    """Step the schema back to `revision`."""
    with engine.begin() as connection:
        command.downgrade(alembic_config(str(engine.url), connection), revision)


def migrated_and_modelled(tmp_path: Path) -> tuple[Engine, Engine]:
    """Two SQLite directories: one built by the migrations, one by the models."""
    migrated = make_engine(f"sqlite:///{tmp_path / 'migrated.db'}")
    upgrade(migrated)
    modelled = make_engine(f"sqlite:///{tmp_path / 'modelled.db'}")
    Base.metadata.create_all(modelled)
    return migrated, modelled


def test_the_models_and_the_migrations_build_the_same_full_text_index(tmp_path: Path) -> None:
    migrated, modelled = migrated_and_modelled(tmp_path)
    objects = full_text_objects(migrated)
    assert {name for _kind, name, _sql in objects} == {
        "search_fts",
        "search_fts_vocab",
        "search_fts_insert",
        "search_fts_update",
        "search_fts_delete",
    }
    assert objects == full_text_objects(modelled)
    Base.metadata.drop_all(modelled)
    assert full_text_objects(modelled) == set()


def taxonomy_triggers(engine: Engine) -> set[tuple[str, str]]:
    """SQLite's triggers that change the taxonomy's token: (name, SQL in one line)."""
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT name, sql FROM sqlite_master WHERE name LIKE 'taxonomy_changed%'")
        )
        return {(name, " ".join(sql.split())) for name, sql in rows}


def test_the_models_and_the_migrations_watch_the_taxonomy_alike(tmp_path: Path) -> None:
    migrated, modelled = migrated_and_modelled(tmp_path)
    triggers = taxonomy_triggers(migrated)
    assert len(triggers) == 12  # four tables, three kinds of write
    assert triggers == taxonomy_triggers(modelled)
    for engine in (migrated, modelled):
        with engine.begin() as connection:
            assert connection.scalar(text("SELECT token FROM taxonomy_version")) == 0
            connection.execute(text("INSERT INTO topic (name) VALUES ('chess')"))
            assert connection.scalar(text("SELECT token FROM taxonomy_version")) != 0
    downgrade(migrated, "0016")
    assert taxonomy_triggers(migrated) == set()
    upgrade(migrated)
    assert taxonomy_triggers(migrated) == triggers


def test_upgrading_indexes_existing_listings_with_their_credential_names(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    upgrade(engine)  # today's code writes the listings; then back to before the full-text index
    with Session(engine) as session, session.begin():
        badge = get_or_create_credential(session, "Kiln Safety Badge", "badge", ACTOR)
        values = {
            "title": "Raku Firing",
            "description": "Glazes and smoke.",
            "provider": get_or_create_provider(session, "Clay Studio", ACTOR),
            "topics": [get_or_create_topic(session, "pottery", ACTOR)],
            "awards": [badge],
            "status": "active",
        }
        listing, _ = upsert_opportunity(session, values, ACTOR)
        plain, _ = upsert_opportunity(session, {**values, "title": "Wheel", "awards": []}, ACTOR)
        ids = (listing.id, plain.id)
    downgrade(engine, "0006")
    old_text = search_text_for("Raku Firing", ["pottery"], "Glazes and smoke.", "Clay Studio")
    with engine.begin() as connection:  # what revision 0006's code derived: no credential names
        connection.execute(
            text("UPDATE opportunity SET search_text = :t WHERE id = :i"),
            {"t": old_text, "i": ids[0]},
        )
    upgrade(engine)
    with Session(engine) as session:
        refreshed = session.get(Opportunity, ids[0])
        assert refreshed is not None and refreshed.search_text.endswith(" kiln safety badge ")
        match = text("SELECT rowid FROM search_fts WHERE search_fts MATCH :words ORDER BY rowid")
        assert list(session.scalars(match, {"words": '"kiln safety"'})) == [ids[0]]
        assert list(session.scalars(match, {"words": "glaze"})) == list(ids)


def test_downgrading_drops_the_full_text_index_and_upgrading_rebuilds_it(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    upgrade(engine)
    with Session(engine) as session, session.begin():
        values = {
            "title": "Kiln",
            "description": "Raku.",
            "provider": get_or_create_provider(session, "Clay Studio", ACTOR),
            "status": "active",
        }
        listing, _ = upsert_opportunity(session, values, ACTOR)
        listing_id = listing.id
    downgrade(engine, "0006")
    assert full_text_objects(engine) == set()
    upgrade(engine)
    with engine.connect() as connection:
        found = connection.scalars(
            text("SELECT rowid FROM search_fts WHERE search_fts MATCH 'raku'")
        )
        assert list(found) == [listing_id]


@pytest.mark.postgres
def test_upgrade_builds_the_schema_on_postgresql() -> None:
    url = os.environ.get("WAYFINDER_TEST_POSTGRES_URL", "").strip()
    if not url:
        pytest.skip("WAYFINDER_TEST_POSTGRES_URL is not set")
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS wf_migrations CASCADE"))
        connection.execute(text("CREATE SCHEMA wf_migrations"))
    admin.dispose()
    engine = make_engine(
        url + ("&" if "?" in url else "?") + "options=-csearch_path%3Dwf_migrations"
    )
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        diff = compare_metadata(_context(connection), Base.metadata)
        tables = set(inspect(connection).get_table_names(schema="wf_migrations"))
    assert set(Base.metadata.tables) <= tables
    assert diff == [], f"models and migrations disagree on PostgreSQL: {diff}"
    assert full_text_index(engine) == ["ix_opportunity_full_text"]
    downgrade(engine, "0006")
    assert full_text_index(engine) == []
    upgrade(engine)
    assert full_text_index(engine) == ["ix_opportunity_full_text"]
    engine.dispose()
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.execute(text("DROP SCHEMA wf_migrations CASCADE"))
    admin.dispose()


def full_text_index(engine: Engine) -> list[str]:
    """The GIN index PostgreSQL's full-text search reads, if the schema has it."""
    with engine.connect() as connection:
        found = connection.scalars(
            text(
                "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() "
                "AND indexdef LIKE '%USING gin (to_tsvector(''simple''::regconfig, search_text))"
                " WITH (gin_pending_list_limit=''256'')'"
            )
        )
        return list(found)
