"""full-text search index of archived articles, kept in step with the store by triggers

SQLite: ``search_meta`` (one row per article document that has extracted content: its
filterable metadata and failed-check count) plus ``search_fts``, an FTS5 table with the
trigram tokenizer (works for Chinese without a word segmenter), rowid = document id.
PostgreSQL: ``search_meta`` also holds the body text and ``grams``, a tsvector of the
character bigrams of title, agency and body with a GIN index (a term is the AND of its
bigrams, verified as a substring on the page of hits); pg_trgm GIN indexes on title and
agency serve one-character terms.

Both are maintained by triggers on ``documents`` (insert / update of the current content
or report flag / delete) and ``contents`` (update of the extracted fields), so every writer
of the store keeps the index current without knowing about it. The upgrade backfills the
rows already stored.

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None

from storage.search import PG_FUNCTIONS as _PG_FUNCTIONS, SQLITE_DDL as _SQLITE_DDL, sqlite_insert as _sqlite_insert  # noqa: E402


def _pg_trgm_schema(bind) -> str | None:
    """Install pg_trgm if allowed; return the schema holding it, or None (plain scans then)."""
    try:
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except sa.exc.DBAPIError:
        pass
    return bind.exec_driver_sql(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = 'pg_trgm'"
    ).scalar()


def upgrade() -> None:
    bind = op.get_bind()
    pg = bind.dialect.name == "postgresql"
    columns = [
        sa.Column("doc_id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("portal_id", sa.String(length=64), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("agency", sa.Text(), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("format", sa.String(length=16), nullable=True),
        sa.Column("published", sa.String(length=10), nullable=True),
        sa.Column("is_report", sa.Boolean(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False, server_default="0"),
    ]
    if pg:
        from sqlalchemy.dialects.postgresql import TSVECTOR

        columns.append(sa.Column("body", sa.Text(), nullable=True))
        columns.append(sa.Column("grams", TSVECTOR(), nullable=True))
    op.create_table("search_meta", *columns)
    op.create_index("ix_search_meta_year", "search_meta", ["year"])
    op.create_index("ix_search_meta_portal", "search_meta", ["portal_id", "year"])
    op.create_index("ix_search_meta_agency_year", "search_meta", ["agency", "year"])
    # the report page looks up the same agency's previous year
    op.create_index("ix_search_contents_agency_year", "contents", ["agency", "year"])
    if pg:
        bind.exec_driver_sql("CREATE INDEX ix_search_meta_grams ON search_meta USING gin (grams)")
        schema = _pg_trgm_schema(bind)
        if schema:  # one-character terms: LIKE on the (short) titles and agencies
            ops = f'"{schema}".gin_trgm_ops'
            for col in ("title", "agency"):
                bind.exec_driver_sql(f"CREATE INDEX ix_search_meta_{col}_trgm ON search_meta USING gin ({col} {ops})")
        for stmt in _PG_FUNCTIONS:
            bind.exec_driver_sql(stmt)
        bind.exec_driver_sql("SELECT search_refresh_document(id) FROM documents WHERE current_sha256 IS NOT NULL")
    else:
        for stmt in _SQLITE_DDL:
            bind.exec_driver_sql(stmt)
        for stmt in _sqlite_insert("d.current_sha256 IS NOT NULL").split(";"):
            if stmt.strip():
                bind.exec_driver_sql(stmt)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        bind.exec_driver_sql("DROP TRIGGER IF EXISTS search_contents_au ON contents")
        bind.exec_driver_sql("DROP TRIGGER IF EXISTS search_documents_aiud ON documents")
        for fn in ("search_contents_trg()", "search_documents_trg()", "search_refresh_document(integer)"):
            bind.exec_driver_sql(f"DROP FUNCTION IF EXISTS {fn}")
    else:
        for trg in ("search_documents_ai", "search_documents_au", "search_documents_ad", "search_contents_au"):
            bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trg}")
        bind.exec_driver_sql("DROP TABLE IF EXISTS search_fts")
    op.drop_index("ix_search_contents_agency_year", table_name="contents")
    op.drop_table("search_meta")
