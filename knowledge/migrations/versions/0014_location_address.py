"""locations gain state, country and URL

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 20:00:00

An Open Referral HSDS 3.0 address needs a state or province and a country, and an online place
is joined at a web address (issue #18): the columns are empty for places made before, which
exports read as the city's (WAYFINDER_STATE_PROVINCE, the WAYFINDER_LOCALE region).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("location") as batch:
        batch.add_column(sa.Column("state_province", sa.String(length=120), nullable=True))
        batch.add_column(sa.Column("country", sa.String(length=2), nullable=True))
        batch.add_column(sa.Column("url", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("location") as batch:
        batch.drop_column("url")
        batch.drop_column("country")
        batch.drop_column("state_province")
