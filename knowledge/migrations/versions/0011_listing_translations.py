"""listing translations: a listing's title and description in other languages

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 13:30:00

A provider writes a listing in one language; organisers may add its title and description in the
other languages learners chat in (issue #15), so a Spanish reply shows the Spanish text.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "opportunity_translation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("opportunity_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=35), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunity.id"],
            name=op.f("fk_opportunity_translation_opportunity_id_opportunity"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opportunity_translation")),
        sa.UniqueConstraint(
            "opportunity_id",
            "language",
            name=op.f("uq_opportunity_translation_opportunity_id"),
        ),
    )
    op.create_index(
        op.f("ix_opportunity_translation_opportunity_id"),
        "opportunity_translation",
        ["opportunity_id"],
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_opportunity_translation_opportunity_id"), table_name="opportunity_translation"
    )
    op.drop_table("opportunity_translation")
