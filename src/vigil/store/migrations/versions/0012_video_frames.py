"""video frames: vPDQ features of scanned videos and of listed videos; where a hit is

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 02:40:00

``video_frame`` holds the kept frames of each scanned video (frame number,
timestamp, PDQ, quality), written with the item in one transaction.
``hash_entry_frame`` holds the frames of a listed video of a video hash set
(vPDQ features). A hit gains ``frame_s`` (the time in the video where it was
found) and ``detail`` (matched segments, shares of frames matched).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "video_frame",
        sa.Column("id", _BIG_ID, primary_key=True, autoincrement=True),
        sa.Column(
            "item_id",
            sa.BigInteger(),
            sa.ForeignKey("item.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("frame_number", sa.Integer(), nullable=False),
        sa.Column("timestamp_s", sa.Float(), nullable=False),
        sa.Column("pdq", sa.LargeBinary(32), nullable=False),
        sa.Column("quality", sa.SmallInteger(), nullable=False),
        sa.UniqueConstraint("item_id", "frame_number", name="uq_video_frame_item_frame"),
    )
    op.create_table(
        "hash_entry_frame",
        sa.Column("id", _BIG_ID, primary_key=True, autoincrement=True),
        sa.Column(
            "entry_id",
            sa.BigInteger(),
            sa.ForeignKey("hash_entry.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("frame_number", sa.Integer(), nullable=False),
        sa.Column("timestamp_s", sa.Float(), nullable=False),
        sa.Column("pdq", sa.LargeBinary(32), nullable=False),
        sa.Column("quality", sa.SmallInteger(), nullable=False),
        sa.UniqueConstraint("entry_id", "frame_number", name="uq_hash_entry_frame_entry_frame"),
    )
    with op.batch_alter_table("match") as batch:
        batch.add_column(sa.Column("frame_s", sa.Float(), nullable=True))
        batch.add_column(sa.Column("detail", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("match") as batch:
        batch.drop_column("detail")
        batch.drop_column("frame_s")
    op.drop_table("hash_entry_frame")
    op.drop_table("video_frame")
