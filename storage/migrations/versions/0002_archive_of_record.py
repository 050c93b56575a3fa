"""archive of record: revisit snapshots, crawl modes, logical reports and their versions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("agency", sa.Text(), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("text_sha256", sa.String(length=64), nullable=True),
        sa.Column("simhash", sa.BigInteger(), nullable=True),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_changed", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("reports") as b:
        b.create_index("ix_reports_agency", ["agency"])
        b.create_index("ix_reports_year", ["year"])
        b.create_index("ix_reports_text_sha256", ["text_sha256"])
    op.create_table(
        "report_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("text_sha256", sa.String(length=64), nullable=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("previous_content_sha256", sa.String(length=64), nullable=True),
        sa.Column("previous_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"]),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("report_versions") as b:
        b.create_index("ix_report_versions_report_id", ["report_id"])
        b.create_index("ix_report_versions_document_id", ["document_id"])
    with op.batch_alter_table("documents") as b:
        b.add_column(sa.Column("report_id", sa.Integer(), nullable=True))
        b.create_index("ix_documents_report_id", ["report_id"])
        b.create_foreign_key("fk_documents_report_id", "reports", ["report_id"], ["id"])
    with op.batch_alter_table("snapshots") as b:
        b.add_column(sa.Column("record_type", sa.String(length=16), nullable=False, server_default="response"))
        b.add_column(sa.Column("payload_of_id", sa.Integer(), nullable=True))
        b.create_foreign_key("fk_snapshots_payload_of_id", "snapshots", ["payload_of_id"], ["id"])
    with op.batch_alter_table("crawl_runs") as b:
        b.add_column(sa.Column("mode", sa.String(length=16), nullable=False, server_default="incremental"))
        b.add_column(sa.Column("not_modified", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("crawl_runs") as b:
        b.drop_column("not_modified")
        b.drop_column("mode")
    with op.batch_alter_table("snapshots") as b:
        b.drop_constraint("fk_snapshots_payload_of_id", type_="foreignkey")
        b.drop_column("payload_of_id")
        b.drop_column("record_type")
    with op.batch_alter_table("documents") as b:
        b.drop_constraint("fk_documents_report_id", type_="foreignkey")
        b.drop_index("ix_documents_report_id")
        b.drop_column("report_id")
    op.drop_table("report_versions")
    op.drop_table("reports")
