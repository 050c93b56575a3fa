"""redirects: a document that redirected points at the document of its final URL

Revision ID: 0006_redirects
Revises: 0005
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa

revision = "0006_redirects"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (inline REFERENCES on SQLite): no table rebuild, the search triggers on
    # ``documents`` survive (as in 0005).
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE documents ADD COLUMN redirect_to_id INTEGER REFERENCES documents (id)")
    else:
        op.add_column("documents", sa.Column("redirect_to_id", sa.Integer(), nullable=True))
        op.create_foreign_key("fk_documents_redirect_to_id_documents", "documents", "documents", ["redirect_to_id"], ["id"])
    op.create_index("ix_documents_redirect_to_id", "documents", ["redirect_to_id"])


def downgrade() -> None:
    with op.batch_alter_table("documents") as b:
        b.drop_index("ix_documents_redirect_to_id")
        b.drop_constraint("fk_documents_redirect_to_id_documents", type_="foreignkey")
        b.drop_column("redirect_to_id")
