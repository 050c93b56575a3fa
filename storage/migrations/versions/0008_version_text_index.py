"""report matching: the versions' normalised-text digest is indexed

``storage.reports.find_report`` looks every new report's text digest up among the versions
already stored; without an index that is a scan of every version, once per report, so a first
harvest of 20,000 reports did 20,000 scans growing with the store.

Revision ID: 0008_version_text_index
Revises: 0007_unique_snapshots
Create Date: 2026-11-30
"""
from alembic import op

revision = "0008_version_text_index"
down_revision = "0007_unique_snapshots"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_report_versions_text_sha256", "report_versions", ["text_sha256"])


def downgrade() -> None:
    op.drop_index("ix_report_versions_text_sha256", table_name="report_versions")
