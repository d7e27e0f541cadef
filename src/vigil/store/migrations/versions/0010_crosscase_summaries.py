"""across cases: per-case media hashes, case links, trend figures, the trends' k

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 00:00:00

Summary tables the scan and re-match keep current (vigil/crosscase/refresh.py),
so linkage, first-seen and trends read a row per case or per distinct MD5,
never the item table. Cases already in the store are summarised here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_WHEN = sa.DateTime(timezone=True)
_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_CASE_FK = "case_.id"


def upgrade() -> None:
    op.create_table(
        "case_hash",
        sa.Column("id", _BIG_ID, primary_key=True, autoincrement=True),
        sa.Column(
            "case_id", sa.Integer(), sa.ForeignKey(_CASE_FK, ondelete="CASCADE"), nullable=False
        ),
        sa.Column("md5", sa.LargeBinary(16), nullable=False),
        sa.Column("family", sa.String(16), nullable=False),
        sa.Column("pdq", sa.LargeBinary(32), nullable=True),
        sa.Column("in_set", sa.Boolean(), nullable=False),
        sa.Column("instances", sa.Integer(), nullable=False),
        sa.Column("first_seen_at", _WHEN, nullable=False),
        sa.Column("new_material", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("case_id", "md5", name="uq_case_hash_case_md5"),
    )
    op.create_index("ix_case_hash_md5", "case_hash", ["md5"])
    op.create_table(
        "case_link",
        sa.Column(
            "case_a", sa.Integer(), sa.ForeignKey(_CASE_FK, ondelete="CASCADE"), primary_key=True
        ),
        sa.Column(
            "case_b", sa.Integer(), sa.ForeignKey(_CASE_FK, ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("exact_known", sa.Integer(), nullable=False),
        sa.Column("exact_new", sa.Integer(), nullable=False),
        sa.Column("near_known", sa.Integer(), nullable=False),
        sa.Column("near_new", sa.Integer(), nullable=False),
    )
    op.create_index("ix_case_link_b", "case_link", ["case_b"])
    op.create_table(
        "case_trend",
        sa.Column(
            "case_id", sa.Integer(), sa.ForeignKey(_CASE_FK, ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("scanned_at", _WHEN, nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
    )
    op.create_index("ix_case_trend_scanned", "case_trend", ["scanned_at"])
    op.create_table(
        "crosscase_setting",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("set_by", sa.String(200), nullable=False),
        sa.Column("set_at", _WHEN, nullable=False),
    )
    # The tables match vigil.store.schema, so the library's refresh fills them.
    from vigil.crosscase.refresh import refresh_all

    refresh_all(op.get_bind())


def downgrade() -> None:
    op.drop_table("crosscase_setting")
    op.drop_table("case_trend")
    op.drop_table("case_link")
    op.drop_table("case_hash")
