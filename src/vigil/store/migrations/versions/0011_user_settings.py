"""per-officer settings of the review app: one row per user and setting name

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 02:30:00

A name/value table (vigil/web/user_settings.py knows the names): grading keys
turned off or remapped (WCAG 2.1.4), and room for the other per-officer
welfare settings (blur strength, greyscale, thumbnail size, break rhythm)
without a migration per setting.
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
        "user_settings",
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("user_account.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(1000), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("user_settings")
