"""credentials a learner already holds, one row per credential

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 20:00:00

"I already have my CPR card" (issue #17) is kept as a `learner_credential` row pointing at the
directory's credential, so pathways mark it done and "my credentials" lists it; it goes with the
learner (forget me) and with the credential. It replaces the learner's `credentials_held` JSON
list of names, which nothing wrote: any names found there are carried over when they name a
credential, and written back on downgrade.

The column is dropped in place (ALTER TABLE … DROP COLUMN, SQLite 3.35+), never by copying the
table as batch mode would: on SQLite with foreign keys on, dropping the old `learner` table would
cascade to every learner's family, plan, reminders and handoffs.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "learner_credential",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("credential_id", sa.Integer(), nullable=False),
        sa.Column("noted_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["learner_id"],
            ["learner.id"],
            name=op.f("fk_learner_credential_learner_id_learner"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credential.id"],
            name=op.f("fk_learner_credential_credential_id_credential"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learner_credential")),
        sa.UniqueConstraint(
            "learner_id", "credential_id", name=op.f("uq_learner_credential_learner_id")
        ),
    )
    op.create_index(
        op.f("ix_learner_credential_credential_id"), "learner_credential", ["credential_id"]
    )
    _carry_names_over()
    with op.batch_alter_table("learner", recreate="never") as batch:
        batch.drop_column("credentials_held")


def downgrade() -> None:
    with op.batch_alter_table("learner", recreate="never") as batch:
        batch.add_column(
            sa.Column("credentials_held", sa.JSON(), nullable=False, server_default="[]")
        )
    _write_names_back()
    op.drop_index(op.f("ix_learner_credential_credential_id"), table_name="learner_credential")
    op.drop_table("learner_credential")


def _carry_names_over() -> None:
    """Each name or key in a learner's old list that a credential has becomes a row."""
    connection = op.get_bind()
    credentials = connection.execute(sa.text("SELECT id, key, name FROM credential")).all()
    by_name = {
        str(value).strip().lower(): row[0] for row in credentials for value in row[1:] if value
    }
    rows = connection.execute(sa.text("SELECT id, credentials_held FROM learner")).all()
    now = datetime.now(UTC).replace(tzinfo=None)
    insert = sa.text(
        "INSERT INTO learner_credential (learner_id, credential_id, noted_at) "
        "VALUES (:learner, :credential, :now)"
    )
    for learner_id, kept in rows:
        names = [
            str(n).strip().lower()
            for n in (json.loads(kept) if isinstance(kept, str) else kept or [])
        ]
        for credential_id in sorted({by_name[n] for n in names if n in by_name}):
            connection.execute(
                insert, {"learner": learner_id, "credential": credential_id, "now": now}
            )


def _write_names_back() -> None:
    """The rows become the names list again, so a downgrade loses nothing."""
    connection = op.get_bind()
    held: dict[int, list[str]] = {}
    query = sa.text(
        "SELECT lc.learner_id, c.name FROM learner_credential lc "
        "JOIN credential c ON c.id = lc.credential_id ORDER BY lc.id"
    )
    for learner_id, name in connection.execute(query):
        held.setdefault(learner_id, []).append(name)
    for learner_id, names in held.items():
        connection.execute(
            sa.text("UPDATE learner SET credentials_held = :names WHERE id = :id"),
            {"names": json.dumps(names), "id": learner_id},
        )
