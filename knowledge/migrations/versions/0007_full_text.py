"""full text: credential names in search texts, and the engine's full-text index of them

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 04:00:00

SQLite gets an FTS5 table (the title's lemmas and the rest of `opportunity.search_text`) kept
current by triggers, and its vocabulary; PostgreSQL a GIN index on the 'simple' tsvector of
`search_text`. Listings that award credentials get their search text rebuilt first, in Python
batches, so that credential names are searchable at once (the others' text is unchanged).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BATCH = 1000  # listings whose search text is rebuilt per round
# The objects knowledge.models.search creates, as plain SQL so that this migration stays as it is
# whatever that code becomes.
SPLIT = "instr({row}.search_text, ' | ')"
TITLE = f"CASE WHEN {SPLIT} > 0 THEN substr({{row}}.search_text, 1, {SPLIT}) ELSE '' END"
BODY = f"CASE WHEN {SPLIT} > 0 THEN substr({{row}}.search_text, {SPLIT} + 3) ELSE {{row}}.search_text END"  # noqa: E501
ADD = (
    "INSERT INTO search_fts (rowid, title, body) "
    f"VALUES (new.id, {TITLE.format(row='new')}, {BODY.format(row='new')});"
)
REMOVE = (
    "INSERT INTO search_fts (search_fts, rowid, title, body) "
    f"VALUES ('delete', old.id, {TITLE.format(row='old')}, {BODY.format(row='old')});"
)
SQLITE_CREATE = (
    "CREATE VIRTUAL TABLE search_fts USING fts5(title, body, content='', "
    "tokenize='unicode61 remove_diacritics 2')",
    "CREATE VIRTUAL TABLE search_fts_vocab USING fts5vocab(search_fts, row)",
    f"CREATE TRIGGER search_fts_insert AFTER INSERT ON opportunity BEGIN {ADD} END",
    f"CREATE TRIGGER search_fts_delete AFTER DELETE ON opportunity BEGIN {REMOVE} END",
    "CREATE TRIGGER search_fts_update AFTER UPDATE OF search_text ON opportunity "
    f"BEGIN {REMOVE} {ADD} END",
)
SQLITE_FILL = (
    "INSERT INTO search_fts (rowid, title, body) "
    f"SELECT id, {TITLE.format(row='opportunity')}, {BODY.format(row='opportunity')} "
    "FROM opportunity"
)
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS search_fts_update",
    "DROP TRIGGER IF EXISTS search_fts_delete",
    "DROP TRIGGER IF EXISTS search_fts_insert",
    "DROP TABLE IF EXISTS search_fts_vocab",
    "DROP TABLE IF EXISTS search_fts",
)
POSTGRESQL_CREATE = (
    "CREATE INDEX ix_opportunity_full_text ON opportunity "
    "USING gin (to_tsvector('simple'::regconfig, search_text)) WITH (gin_pending_list_limit = 256)"
)
POSTGRESQL_DROP = "DROP INDEX IF EXISTS ix_opportunity_full_text"


def upgrade() -> None:
    bind = op.get_bind()
    _add_credential_names(bind)
    if bind.dialect.name == "sqlite":
        for statement in SQLITE_CREATE[:2]:
            op.execute(statement)
        op.execute(SQLITE_FILL)
        for statement in SQLITE_CREATE[2:]:
            op.execute(statement)
    elif bind.dialect.name == "postgresql":
        op.execute(POSTGRESQL_CREATE)


def downgrade() -> None:
    # Search texts keep the credential names: the code of revision 0006 reads them as any words.
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in SQLITE_DROP:
            op.execute(statement)
    elif bind.dialect.name == "postgresql":
        op.execute(POSTGRESQL_DROP)


def _add_credential_names(bind: sa.Connection) -> None:
    """Rebuild the search text of listings that award credentials, as the code derives it now.

    Only they change (credential names are new in the text); read and written in batches.
    """
    from knowledge.search.index import search_text_for  # the derivation every write uses

    ids = [
        row[0]
        for row in bind.execute(
            sa.text("SELECT DISTINCT opportunity_id FROM opportunity_award ORDER BY 1")
        )
    ]
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        texts = [
            {"id": listing_id, "text": search_text_for(*fields)}
            for listing_id, fields in _fields(bind, batch).items()
        ]
        if texts:
            bind.execute(
                sa.text("UPDATE opportunity SET search_text = :text WHERE id = :id"), texts
            )


def _fields(
    bind: sa.Connection, ids: Sequence[int]
) -> dict[int, tuple[str, list[str], str, str, list[str]]]:
    """Title, topic names, description, provider name and award names of these listings."""
    chosen: sa.BindParameter[list[int]] = sa.bindparam("ids", list(ids), expanding=True)
    listings = bind.execute(
        sa.text(
            "SELECT opportunity.id, opportunity.title, opportunity.description, provider.name "
            "FROM opportunity JOIN provider ON provider.id = opportunity.provider_id "
            "WHERE opportunity.id IN :ids"
        ).bindparams(chosen)
    ).all()
    names: dict[str, dict[int, list[str]]] = {"topic": {}, "credential": {}}
    for table, link in (("topic", "opportunity_topic"), ("credential", "opportunity_award")):
        key = "topic_id" if table == "topic" else "credential_id"
        rows = bind.execute(
            sa.text(
                f"SELECT {link}.opportunity_id, {table}.name FROM {link} "
                f"JOIN {table} ON {table}.id = {link}.{key} WHERE {link}.opportunity_id IN :ids"
            ).bindparams(chosen)
        )
        for listing_id, name in rows:
            names[table].setdefault(listing_id, []).append(name)
    return {
        listing_id: (
            title,
            sorted(names["topic"].get(listing_id, [])),
            description,
            provider,
            sorted(names["credential"].get(listing_id, [])),
        )
        for listing_id, title, description, provider in listings
    }
