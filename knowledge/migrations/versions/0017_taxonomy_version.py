"""taxonomy_version: one token the database changes with every write to the taxonomy

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 07:00:00

Every search and every search form's validation checked that the cached taxonomy was current by
concatenating every topic, synonym, neighbourhood and alias in SQL (issue #16: a tenth of the
action server's time at 20 msg/s). Triggers on the four tables now change one row's token
(knowledge/models/taxonomy.py), and a check reads that row.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from knowledge.models.taxonomy import TAXONOMY_TABLES, create_taxonomy_triggers

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "taxonomy_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_taxonomy_version")),
    )
    create_taxonomy_triggers(op.get_bind())


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for table in TAXONOMY_TABLES:
            for operation in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS taxonomy_changed_{table}_{operation}")
    elif bind.dialect.name == "postgresql":
        for table in TAXONOMY_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS taxonomy_changed ON {table}")
        op.execute("DROP FUNCTION IF EXISTS taxonomy_changed()")
    op.drop_table("taxonomy_version")
