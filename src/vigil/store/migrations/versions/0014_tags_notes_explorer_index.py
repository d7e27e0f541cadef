"""item tags and bookmarks, case notes, and the explorer's index on item (evidence, path)

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-04 02:50:00

Tags (a bookmark is the tag ``bookmark``) and notes are the officers' own
words about a case: each is written with who and when, and audited.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_item_evidence_display", "item", ["evidence_id", "display"])
    op.create_table(
        "item_tag",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "case_id", sa.Integer(), sa.ForeignKey("case_.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "item_id", sa.BigInteger(), sa.ForeignKey("item.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("tag", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("item_id", "tag", name="uq_item_tag"),
    )
    op.create_index("ix_item_tag_case_tag", "item_tag", ["case_id", "tag"])
    op.create_table(
        "case_note",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "case_id", sa.Integer(), sa.ForeignKey("case_.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
    )
    op.create_index("ix_case_note_case", "case_note", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_case_note_case", table_name="case_note")
    op.drop_table("case_note")
    op.drop_index("ix_item_tag_case_tag", table_name="item_tag")
    op.drop_table("item_tag")
    op.drop_index("ix_item_evidence_display", table_name="item")
