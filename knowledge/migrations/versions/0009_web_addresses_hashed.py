"""web addresses hashed: drop the widget session ids kept in clear

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 08:00:00

The gateway now keeps a web session only as a keyed hash (bot.gateway.records.kept_address): the
id itself lets whoever holds it read and write that conversation. Ids stored before are blanked
here (nothing sends to a web address: the outbox is found by sender id); each session's next
message writes its hash.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sa.text("UPDATE channel_address SET address = '' WHERE channel = 'web'"))


def downgrade() -> None:
    """Nothing to restore: the ids are gone, and the hashes the gateway writes fit the column."""
