"""search index: one narrow row per active listing and topic, filled from existing listings

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 19:21:56.845292
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

LOOKUP = [
    'topic_id', 'latitude', 'longitude', 'end_date', 'min_age', 'max_age', 'is_free',
    'cost_amount', 'format', 'days_mask', 'start_time', 'start_date', 'languages',
    'neighbourhood_id', 'opportunity_id',
]  # fmt: skip
FIELDS = LOOKUP[1:-1]
COPIED = ", ".join(f"opportunity.{name}" for name in FIELDS)
# The rows knowledge.search.index.write_search_entries derives, as plain SQL so that this
# migration stays as it is whatever that code becomes.
BACKFILL = f"""
INSERT INTO search_entry (opportunity_id, topic_id, {", ".join(FIELDS)})
SELECT opportunity.id, opportunity_topic.topic_id, {COPIED}
FROM opportunity JOIN opportunity_topic ON opportunity_topic.opportunity_id = opportunity.id
WHERE opportunity.status = 'active'
UNION ALL
SELECT opportunity.id, NULL, {COPIED}
FROM opportunity
WHERE opportunity.status = 'active'
"""


def upgrade() -> None:
    op.create_table(
        "search_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("opportunity_id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("min_age", sa.Integer(), nullable=True),
        sa.Column("max_age", sa.Integer(), nullable=True),
        sa.Column("is_free", sa.Boolean(), nullable=True),
        sa.Column("cost_amount", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column("format", sa.String(length=20), nullable=False),
        sa.Column("days_mask", sa.Integer(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("languages", sa.String(length=100), nullable=False),
        sa.Column("neighbourhood_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunity.id"],
            name=op.f("fk_search_entry_opportunity_id_opportunity"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"],
            ["topic.id"],
            name=op.f("fk_search_entry_topic_id_topic"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_entry")),
    )
    with op.batch_alter_table("search_entry", schema=None) as batch_op:
        batch_op.create_index("ix_search_entry_lookup", LOOKUP, unique=False)
        batch_op.create_index(
            batch_op.f("ix_search_entry_opportunity_id"), ["opportunity_id"], unique=False
        )
    op.execute(BACKFILL)


def downgrade() -> None:
    with op.batch_alter_table("search_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_search_entry_opportunity_id"))
        batch_op.drop_index("ix_search_entry_lookup")
    op.drop_table("search_entry")
