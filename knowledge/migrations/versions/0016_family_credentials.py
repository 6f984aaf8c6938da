"""credentials held by a learner's family: learner_credential gains the dependant it belongs to

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 12:00:00

"My son already has his CPR card" (issue #17) is kept on the parent's profile for the son: a
`learner_credential` row may name one of the learner's dependants, and goes with them. A person
holds a credential once: unique per (learner, dependant, credential), and, since NULLs never
clash in a unique constraint, a partial unique index keeps the learner's own rows (no
dependant) unique per (learner, credential) as before.

On SQLite the table is copied (batch mode) to change its unique constraint: nothing refers to
`learner_credential`, so dropping the old copy cascades nowhere. A downgrade drops the family's
rows, which the old table cannot tell from the learner's own.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

OWN = "uq_learner_credential_own"
ONLY_OWN = sa.text("dependant_id IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("learner_credential") as batch:
        batch.add_column(sa.Column("dependant_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_learner_credential_dependant_id_dependant"),
            "dependant",
            ["dependant_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.drop_constraint(op.f("uq_learner_credential_learner_id"), type_="unique")
        batch.create_unique_constraint(
            op.f("uq_learner_credential_learner_id"),
            ["learner_id", "dependant_id", "credential_id"],
        )
        batch.create_index(op.f("ix_learner_credential_dependant_id"), ["dependant_id"])
    op.create_index(
        OWN,
        "learner_credential",
        ["learner_id", "credential_id"],
        unique=True,
        sqlite_where=ONLY_OWN,
        postgresql_where=ONLY_OWN,
    )


def downgrade() -> None:
    op.execute("DELETE FROM learner_credential WHERE dependant_id IS NOT NULL")
    op.drop_index(OWN, table_name="learner_credential")
    with op.batch_alter_table("learner_credential") as batch:
        batch.drop_index(op.f("ix_learner_credential_dependant_id"))
        batch.drop_constraint(op.f("uq_learner_credential_learner_id"), type_="unique")
        batch.create_unique_constraint(
            op.f("uq_learner_credential_learner_id"), ["learner_id", "credential_id"]
        )
        batch.drop_constraint(
            op.f("fk_learner_credential_dependant_id_dependant"), type_="foreignkey"
        )
        batch.drop_column("dependant_id")
