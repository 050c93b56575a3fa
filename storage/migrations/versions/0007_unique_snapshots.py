"""concurrent writers: one snapshot per WARC record

Several workers store into one PostgreSQL at once (issue 12): a WARC record stored twice (a
crawl and a recovery, two workers) must give one snapshot, so its record id is unique.

Revision ID: 0007_unique_snapshots
Revises: 0006_redirects
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa

revision = "0007_unique_snapshots"
down_revision = "0006_redirects"
branch_labels = None
depends_on = None


def upgrade() -> None:
    dupes = op.get_bind().execute(sa.text(
        "SELECT warc_record_id, count(*) FROM snapshots GROUP BY warc_record_id HAVING count(*) > 1 LIMIT 3"
    )).all()
    if dupes:
        # nothing is deleted behind the operator's back: the duplicates are named, the upgrade stops
        shown = ", ".join(f"{rid} ({n} rows)" for rid, n in dupes)
        raise RuntimeError(f"snapshots: several rows for one WARC record ({shown}); "
                           "remove the extra rows, then upgrade again")
    op.create_index("uq_snapshots_warc_record_id", "snapshots", ["warc_record_id"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_snapshots_warc_record_id", table_name="snapshots")
