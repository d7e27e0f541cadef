"""exhibits: a table of a case's exhibits; every evidence row names its exhibit

Existing evidence rows each become an exhibit whose reference is the label the
reports printed before this revision ("Exhibit 2" in a case of one scan run,
"Run 3 exhibit 1" in a case of several), so reports already made keep their
meaning.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 17:00:00
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_scan_run = sa.table(
    "scan_run",
    sa.column("id", sa.Integer),
    sa.column("case_id", sa.Integer),
    sa.column("examiner", sa.String),
    sa.column("started_at", sa.DateTime(timezone=True)),
)
_evidence = sa.table(
    "evidence",
    sa.column("id", sa.Integer),
    sa.column("run_id", sa.Integer),
    sa.column("ordinal", sa.Integer),
    sa.column("path", sa.Text),
    sa.column("path_bytes", sa.LargeBinary),
    sa.column("kind", sa.String),
    sa.column("sha256", sa.String),
    sa.column("size", sa.BigInteger),
    sa.column("exhibit_id", sa.Integer),
)


def upgrade() -> None:
    exhibit = op.create_table(
        "exhibit",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "case_id",
            sa.Integer(),
            sa.ForeignKey("case_.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("reference", sa.String(100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("seized_at", sa.Text(), nullable=True),
        sa.Column("seized_when", sa.String(32), nullable=True),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("path_bytes", sa.LargeBinary(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.UniqueConstraint("case_id", "reference", name="uq_exhibit_case_reference"),
    )
    if op.get_bind().dialect.name == "sqlite":
        # SQLite takes REFERENCES in ADD COLUMN; Alembic's batch mode would rebuild
        # ``evidence``, dropping a table that ``item`` rows point at.
        op.execute("ALTER TABLE evidence ADD COLUMN exhibit_id INTEGER REFERENCES exhibit (id)")
    else:
        op.add_column("evidence", sa.Column("exhibit_id", sa.Integer(), nullable=True))
        op.create_foreign_key(None, "evidence", "exhibit", ["exhibit_id"], ["id"])
    _number_existing_evidence(exhibit)


def _number_existing_evidence(exhibit: sa.Table) -> None:
    """One exhibit per existing evidence row, named as the reports named it until now."""
    conn = op.get_bind()
    runs_of: dict[int, list[Any]] = defaultdict(list)
    for run in conn.execute(sa.select(_scan_run).order_by(_scan_run.c.id)):
        runs_of[int(run.case_id)].append(run)
    for case_id, runs in runs_of.items():
        several = len(runs) > 1
        for run in runs:
            rows = conn.execute(
                sa.select(_evidence)
                .where(_evidence.c.run_id == run.id)
                .order_by(_evidence.c.ordinal)
            ).all()
            for ev in rows:
                reference = (
                    f"Run {run.id} exhibit {ev.ordinal}" if several else f"Exhibit {ev.ordinal}"
                )
                result = conn.execute(
                    exhibit.insert().values(
                        case_id=case_id,
                        reference=reference,
                        path=ev.path,
                        path_bytes=ev.path_bytes,
                        kind=ev.kind,
                        sha256=ev.sha256,
                        size=ev.size,
                        created_at=run.started_at,
                        created_by=run.examiner,
                    )
                )
                key = result.inserted_primary_key
                if key is None:
                    raise RuntimeError("exhibit insert returned no id")
                conn.execute(
                    _evidence.update().where(_evidence.c.id == ev.id).values(exhibit_id=int(key[0]))
                )


def downgrade() -> None:
    op.drop_column("evidence", "exhibit_id")
    op.drop_table("exhibit")
