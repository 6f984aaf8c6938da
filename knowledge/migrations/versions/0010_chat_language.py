"""chat language: the language a learner chats in, and whether they chose it

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 13:20:00

A learner's conversation language (issue #15) is kept on their profile so it holds across
sessions and channels; `chat_language_chosen` tells an explicit choice (which sticks) from a
guess (which a later, longer message in another language may change).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("learner") as batch:
        batch.add_column(sa.Column("chat_language", sa.String(35), nullable=True))
        batch.add_column(
            sa.Column(
                "chat_language_chosen", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("learner") as batch:
        batch.drop_column("chat_language_chosen")
        batch.drop_column("chat_language")
