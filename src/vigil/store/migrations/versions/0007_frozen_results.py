"""frozen results: result revisions, the set versions each matched, labels kept on hits

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 17:00:00

Every existing scan run becomes revision 1 of its case's results, with the set
versions it recorded in ``scan_run.hashsets``; its hits get the category label
of the scheme the run recorded for their set (or, for a set it did not record,
such as review grades, the set's scheme today). A hit whose set is gone and was
never recorded keeps no label and counts under its raw category key.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "result_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case_.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["run_id"], ["scan_run.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "number", name="uq_result_revision_run_number"),
    )
    op.create_index("ix_result_revision_case", "result_revision", ["case_id"], unique=False)
    op.create_table(
        "result_hashset_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("result_id", sa.Integer(), nullable=False),
        sa.Column("hashset_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("scheme", sa.String(length=500), nullable=False),
        sa.Column("known_good", sa.Boolean(), nullable=False),
        sa.Column("set_revision", sa.BigInteger(), nullable=True),
        sa.Column("version_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.String(length=200), nullable=True),
        sa.Column("source_date", sa.String(length=64), nullable=True),
        sa.Column("source_sha256", sa.String(length=64), nullable=True),
        sa.Column("format", sa.String(length=32), nullable=True),
        sa.Column("entry_count", sa.BigInteger(), nullable=True),
        sa.Column("imported_at", _WHEN, nullable=True),
        sa.ForeignKeyConstraint(["result_id"], ["result_revision.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("result_id", "hashset_id", name="uq_result_hashset"),
    )
    with op.batch_alter_table("match") as batch:
        batch.add_column(sa.Column("result_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("set_revision", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("category_label", sa.String(length=200), nullable=True))
    _freeze_existing(op.get_bind())
    with op.batch_alter_table("match") as batch:
        batch.alter_column("result_id", existing_type=sa.Integer(), nullable=False)
        batch.create_foreign_key(
            "fk_match_result_id", "result_revision", ["result_id"], ["id"], ondelete="CASCADE"
        )
        batch.create_index("ix_match_result", ["result_id"], unique=False)


def _freeze_existing(conn: sa.Connection) -> None:
    """Revision 1 for every run, its recorded set versions, labels on its hits."""
    runs = conn.execute(
        sa.text("select id, case_id, examiner, started_at, hashsets from scan_run order by id")
    ).all()
    for run in runs:
        conn.execute(
            sa.text(
                "insert into result_revision (case_id, run_id, number, kind, created_at, "
                "created_by) values (:case_id, :run_id, 1, 'scan', :at, :by)"
            ),
            {"case_id": run.case_id, "run_id": run.id, "at": run.started_at, "by": run.examiner},
        )
        result_id = conn.execute(
            sa.text("select id from result_revision where run_id = :r"), {"r": run.id}
        ).scalar_one()
        recorded_sets = _recorded_sets(run.hashsets)
        for recorded in recorded_sets:
            conn.execute(
                sa.text(
                    "insert into result_hashset_version (result_id, hashset_id, name, scheme, "
                    "known_good, version, source_date, source_sha256, format, entry_count, "
                    "imported_at) values (:result_id, :hashset_id, :name, :scheme, :known_good, "
                    ":version, :source_date, :source_sha256, :format, :entry_count, :imported_at)"
                ),
                {"result_id": result_id, **recorded},
            )
        conn.execute(
            sa.text(
                "update match set result_id = :result_id where item_id in "
                "(select id from item where run_id = :run_id)"
            ),
            {"result_id": result_id, "run_id": run.id},
        )
        for recorded in recorded_sets:
            _label(conn, result_id, recorded["hashset_id"], recorded["scheme"])
    for set_id, scheme_name in conn.execute(
        sa.text(
            "select distinct hashset.id, hashset.scheme from match "
            "join hashset on hashset.id = match.hashset_id where match.category_label is null"
        )
    ).all():
        _label(conn, None, set_id, scheme_name)


def _recorded_sets(raw: Any) -> list[dict[str, Any]]:
    """The sets ``scan_run.hashsets`` recorded (a JSON list, text on some drivers)."""
    sets = json.loads(raw) if isinstance(raw, str) else raw
    out = []
    for s in sets or []:
        if "id" not in s:
            continue
        imported = s.get("imported_at")
        out.append(
            {
                "hashset_id": int(s["id"]),
                "name": str(s.get("name")),
                "scheme": str(s.get("scheme") or "uk"),
                "known_good": bool(s.get("known_good")),
                "version": s.get("version"),
                "source_date": s.get("source_date"),
                "source_sha256": s.get("source_sha256"),
                "format": s.get("format"),
                "entry_count": s.get("entry_count"),
                "imported_at": datetime.fromisoformat(imported) if imported else None,
            }
        )
    return out


def _label(conn: sa.Connection, result_id: int | None, set_id: int, scheme_name: str) -> None:
    """Label the unlabelled hits of one set (in one result, or all) by the scheme's labels."""
    from vigil.errors import VigilError
    from vigil.hashsets.schemes import load_scheme

    try:
        scheme = load_scheme(scheme_name)
    except VigilError:
        return  # a scheme file gone missing: the hits keep their raw keys
    where = "hashset_id = :set_id and category_label is null"
    if result_id is not None:
        where += " and result_id = :result_id"
    params = {"set_id": set_id, "result_id": result_id}
    categories = conn.execute(
        sa.text(f"select distinct category from match where {where}"), params
    ).scalars()
    for category in list(categories):
        condition = "category is null" if category is None else "category = :category"
        conn.execute(
            sa.text(f"update match set category_label = :label where {where} and {condition}"),
            {**params, "label": scheme.label(category), "category": category},
        )


def downgrade() -> None:
    with op.batch_alter_table("match") as batch:
        batch.drop_index("ix_match_result")
        batch.drop_constraint("fk_match_result_id", type_="foreignkey")
        batch.drop_column("category_label")
        batch.drop_column("set_revision")
        batch.drop_column("result_id")
    op.drop_table("result_hashset_version")
    op.drop_index("ix_result_revision_case", table_name="result_revision")
    op.drop_table("result_revision")
