"""delivery receipts: exactly-once reminders (words kept on the row, keys the gateway honours)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "delivery_receipt",
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("sender_id", sa.String(length=128), nullable=False),
        sa.Column("claimed_at", sa.DateTime(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_delivery_receipt")),
    )
    op.create_index(
        op.f("ix_delivery_receipt_sender_id"), "delivery_receipt", ["sender_id"], unique=False
    )
    with op.batch_alter_table("reminder") as batch:
        batch.add_column(sa.Column("messages", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("delivery_key", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reminder") as batch:
        batch.drop_column("delivery_key")
        batch.drop_column("messages")
    op.drop_index(op.f("ix_delivery_receipt_sender_id"), table_name="delivery_receipt")
    op.drop_table("delivery_receipt")
