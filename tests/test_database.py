"""The store opens, migrates and keeps data on SQLite and on a real PostgreSQL."""
import datetime as dt

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from storage.database import DatabaseError, open_database, sqlite_url
from storage.models import Content, CrawlRun, Document, Portal, Snapshot

TABLES = {"portals", "crawl_runs", "documents", "snapshots", "contents", "alembic_version"}
CST = dt.timezone(dt.timedelta(hours=8))


def _roundtrip(db):
    fetched = dt.datetime(2025, 1, 31, 10, 0, tzinfo=CST)
    with db.session() as s:
        s.add(Portal(id="p", name="甲市人民政府", url="http://127.0.0.20/"))
        s.flush()
        s.add(Content(sha256="a" * 64, size=3, extractor_version="x", text="政府信息公开", record={"tables": {"applications": {"new": {"total": 17}}}}))
        doc = Document(portal_id="p", url="http://127.0.0.20/a.html", kind="article", current_sha256="a" * 64, is_report=True)
        s.add(doc)
        s.flush()
        s.add(Snapshot(document_id=doc.id, fetched_at=fetched, status=200, headers={"ETag": '"x"'}, sha256="a" * 64,
                       size=3, warc_file="f.warc.gz", warc_offset=0, warc_length=10, warc_record_id="<urn:uuid:1>"))
    with db.session() as s:
        snap = s.scalars(select(Snapshot)).one()
        # stored in UTC, returned aware, same instant
        assert snap.fetched_at == fetched
        assert snap.fetched_at.utcoffset() == dt.timedelta(0)
        content = s.get(Content, "a" * 64)
        assert content.record["tables"]["applications"]["new"]["total"] == 17
        assert content.text == "政府信息公开"
    with pytest.raises(IntegrityError):
        with db.session() as s:
            s.add(Document(portal_id="p", url="http://127.0.0.20/a.html", kind="article"))


def test_sqlite_store(tmp_path):
    db = open_database(sqlite_url(tmp_path / "h.db"))
    assert TABLES <= set(inspect(db.engine).get_table_names())
    _roundtrip(db)
    # reopening runs no migration twice and keeps the data
    db.dispose()
    db2 = open_database(sqlite_url(tmp_path / "h.db"))
    with db2.session() as s:
        assert s.scalar(select(Document.url)) == "http://127.0.0.20/a.html"


def test_postgresql_store(pg_url):
    db = open_database(pg_url)
    try:
        assert TABLES <= set(inspect(db.engine).get_table_names())
        _roundtrip(db)
    finally:
        db.dispose()


def test_naive_datetimes_are_refused(tmp_path):
    db = open_database(sqlite_url(tmp_path / "h.db"))
    with pytest.raises(Exception, match="naive datetime"):
        with db.session() as s:
            s.add(Portal(id="p", name="n", url="http://a/"))
            s.add(CrawlRun(portal_id="p", started=dt.datetime(2025, 1, 1)))


def test_unusable_database_url_is_one_clear_error(tmp_path):
    with pytest.raises(DatabaseError, match="cannot use database URL 'nosuchdb://x'"):
        open_database("nosuchdb://x")
    with pytest.raises(DatabaseError, match="cannot open database"):
        open_database(sqlite_url(tmp_path / "missing-dir" / "h.db"))


def _schema_diff(db):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from storage.models import Base

    owned = set(Base.metadata.tables)

    def include_name(name, type_, parent_names):
        # tables managed outside storage.models (search index, scheduler job store) are theirs
        if type_ == "index" and name and name.startswith("ix_search_"):
            return False  # indexes the search migration adds for its own queries
        return type_ != "table" or name in owned

    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"include_name": include_name})
        diff = compare_metadata(ctx, Base.metadata)
    # server defaults added for existing rows are not model changes
    return [d for d in diff if not (isinstance(d, tuple) and d[0] == "modify_default")]


def test_migrations_match_the_models_on_sqlite(tmp_path):
    assert _schema_diff(open_database(sqlite_url(tmp_path / "h.db"))) == []


def test_migrations_match_the_models_on_postgresql(pg_url):
    db = open_database(pg_url)
    try:
        assert _schema_diff(db) == []
    finally:
        db.dispose()


def test_the_newest_revisions_read_from_the_files_are_alembics():
    """A store at these revisions is opened without running Alembic: the reading must agree
    with Alembic's own, or a new migration would never be applied."""
    from alembic.script import ScriptDirectory

    from storage.database import alembic_config, migration_heads

    assert migration_heads() == set(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


def test_a_store_behind_the_newest_revision_is_migrated_and_one_at_it_is_opened_as_it_is(tmp_path):
    import subprocess
    import sys

    from sqlalchemy import text

    from alembic import command

    from storage.database import alembic_config

    url = sqlite_url(tmp_path / "h.db")
    command.upgrade(alembic_config(url), "0006_redirects")  # a store made before the newest migrations
    probe = ("import sys; from storage.database import open_database; open_database(sys.argv[1]).dispose(); "
             "print('alembic' in sys.modules)")
    run = lambda: subprocess.run([sys.executable, "-c", probe, url], capture_output=True, text=True, timeout=60)  # noqa: E731
    behind = run()
    assert behind.returncode == 0 and behind.stdout.strip() == "True", behind.stderr  # migrated
    db = open_database(url, migrate=False)
    with db.engine.connect() as c:
        assert set(c.execute(text("SELECT version_num FROM alembic_version")).scalars()) == {
            "0004", "0008_version_text_index"}
    db.dispose()
    at_heads = run()
    assert at_heads.returncode == 0 and at_heads.stdout.strip() == "False", at_heads.stderr  # Alembic not loaded
