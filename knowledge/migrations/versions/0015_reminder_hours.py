"""reminders at a sensible hour: web messages wait for the learner to come back

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 20:00:00

A reminder for a web learner goes into the outbox, which the widget reads only while the chat
is open. It used to be dropped after a week whether or not the learner had seen it; now
`outbox_message.fetched_at` records when a widget's poll first took a message, so housekeeping
drops a fetched message a week later and one never fetched only after 60 days
(bot.gateway.records.OUTBOX_WAIT). Messages queued before this revision count as not fetched.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_message") as batch:
        batch.add_column(sa.Column("fetched_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox_message") as batch:
        batch.drop_column("fetched_at")
