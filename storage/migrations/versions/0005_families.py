"""portal families: discovered columns, robots override, attachments linked to their page, image-only reports

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.add_column("portals", sa.Column("discovered_columns", JSON, nullable=True))
    op.add_column("portals", sa.Column("discovered_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("portals", sa.Column("detected_family", sa.String(length=32), nullable=True))
    op.add_column("portals", sa.Column("robots_obeyed", sa.Boolean(), nullable=False, server_default=sa.true()))
    op.add_column("portals", sa.Column("robots_reason", sa.Text(), nullable=True))
    # Plain ADD COLUMN (with an inline REFERENCES on SQLite): no table rebuild, so the triggers
    # other migrations keep on ``documents`` (the search index) survive.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE documents ADD COLUMN parent_id INTEGER REFERENCES documents (id)")
    else:
        op.add_column("documents", sa.Column("parent_id", sa.Integer(), nullable=True))
        op.create_foreign_key("fk_documents_parent_id_documents", "documents", "documents", ["parent_id"], ["id"])
    op.create_index("ix_documents_parent_id", "documents", ["parent_id"])
    op.add_column("contents", sa.Column("image_only", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("contents") as b:
        b.drop_column("image_only")
    with op.batch_alter_table("documents") as b:
        b.drop_index("ix_documents_parent_id")
        b.drop_constraint("fk_documents_parent_id_documents", type_="foreignkey")
        b.drop_column("parent_id")
    with op.batch_alter_table("portals") as b:
        for c in ("robots_reason", "robots_obeyed", "detected_family", "discovered_at", "discovered_columns"):
            b.drop_column(c)
