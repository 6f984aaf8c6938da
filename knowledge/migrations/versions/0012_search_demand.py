"""searches recorded without the learner: what is asked for and how much is found

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 20:00:00

Issue #17: organisers see what learners ask for that the directory lacks, and how the service is
used. `search_record` keeps one row per search as understood (topic, age band, neighbourhood, …,
and how many listings fitted) and `usage_event` one row per conversation, details view, saved
plan, reminder sent or handoff; neither has a learner id, and both keep only the day
(knowledge/models/demand.py says why that cannot identify anyone).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("chat_language", sa.String(length=35), nullable=True),
        sa.Column("topic", sa.String(length=120), nullable=True),
        sa.Column("age_band", sa.String(length=10), nullable=True),
        sa.Column("neighbourhood", sa.String(length=120), nullable=True),
        sa.Column("cost", sa.String(length=20), nullable=True),
        sa.Column("days", sa.String(length=30), nullable=True),
        sa.Column("times", sa.String(length=60), nullable=True),
        sa.Column("format", sa.String(length=20), nullable=True),
        sa.Column("language", sa.String(length=35), nullable=True),
        sa.Column("career_goal", sa.String(length=120), nullable=True),
        sa.Column("results", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_record")),
    )
    op.create_index(op.f("ix_search_record_day"), "search_record", ["day"])
    op.create_table(
        "usage_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_event")),
    )
    op.create_index(op.f("ix_usage_event_day"), "usage_event", ["day"])


def downgrade() -> None:
    op.drop_index(op.f("ix_usage_event_day"), table_name="usage_event")
    op.drop_table("usage_event")
    op.drop_index(op.f("ix_search_record_day"), table_name="search_record")
    op.drop_table("search_record")
