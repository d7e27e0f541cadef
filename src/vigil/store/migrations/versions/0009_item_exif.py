"""exif on items: taken date, camera, software, GPS (read once by the scan)

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-03 23:50:00

Items scanned before this revision have no EXIF columns filled: a re-scan of
the exhibit reads it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("item") as batch:
        batch.add_column(sa.Column("exif_taken", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("camera_make", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("camera_model", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("exif_software", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("gps_present", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("gps_lat", sa.Float(), nullable=True))
        batch.add_column(sa.Column("gps_lon", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("item") as batch:
        for name in (
            "gps_lon", "gps_lat", "gps_present", "exif_software", "camera_model", "camera_make",
            "exif_taken",
        ):  # fmt: skip
            batch.drop_column(name)
