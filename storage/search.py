"""Full-text search over archived articles (migration 0004 creates and maintains the index).

The index holds one row per article document with extracted content (annual reports and the
other items of the report columns): ``search_meta`` (filterable metadata, number of failed
checks) and, on SQLite, the FTS5 trigram table ``search_fts`` (rowid = document id); on
PostgreSQL ``search_meta.body`` with pg_trgm GIN indexes. Triggers keep both in step with
``documents`` and ``contents``; :func:`rebuild` recreates the rows from scratch.

Query terms are split on whitespace and must all occur (AND). The trigram index answers
terms of three or more characters anywhere in title, agency and body; on SQLite a term of
one or two characters (e.g. 财政) is matched against title and agency only, because a body
scan of the whole archive would be too slow. PostgreSQL matches short terms in the body too
(a sequential scan).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Boolean, Column, Integer, MetaData, String, Table, Text, text
from sqlalchemy.orm import Session

# Separate metadata: these tables are created by migration 0004, not by storage.models.
SEARCH_METADATA = MetaData()

search_meta = Table(
    "search_meta",
    SEARCH_METADATA,
    Column("doc_id", Integer, primary_key=True, autoincrement=False),
    Column("portal_id", String(64), nullable=False),
    Column("url", Text, nullable=False),
    Column("title", Text),
    Column("agency", Text),
    Column("year", Integer),
    Column("format", String(16)),
    Column("published", String(10)),
    Column("is_report", Boolean, nullable=False),
    Column("failed", Integer, nullable=False),
)

MIN_INDEXED_TERM = 3  # trigram tokenizer

# The index DDL (migration 0004 runs it; ensure_index() repairs it).
# ---------------------------------------------------------------------------------- SQLite
SQLITE_FAILED = (
    "(SELECT count(*) FROM json_each(CASE WHEN json_valid(c.record) THEN c.record ELSE '{}' END, '$.checks') "
    "WHERE json_extract(value, '$.status') = 'fail')"
)


# The filters are also written into the FTS row as tag phrases (Y2024Y Psim-meizhouP F2021F RPTX
# FAILX), so that a broad term plus a selective filter is answered by intersecting doclists
# inside FTS5 instead of joining every match to its metadata.
SQLITE_TAGS = (
    "'Y' || coalesce(c.year, 0) || 'Y P' || d.portal_id || 'P F' || coalesce(c.format, 'none') || 'F '"
    " || (CASE WHEN d.is_report THEN 'RPTX' ELSE 'NRPX' END) || ' '"
    f" || (CASE WHEN d.is_report AND {SQLITE_FAILED} > 0 THEN 'FAILX' ELSE 'OKX' END)"
)


def sqlite_insert(doc_filter: str) -> str:
    return f"""
    INSERT INTO search_meta(doc_id, portal_id, url, title, agency, year, format, published, is_report, failed)
      SELECT d.id, d.portal_id, d.url, coalesce(c.title, d.link_text), c.agency, c.year, c.format,
             c.published, d.is_report, {SQLITE_FAILED}
      FROM documents d JOIN contents c ON c.sha256 = d.current_sha256 WHERE {doc_filter};
    INSERT INTO search_fts(rowid, title, agency, body, tags)
      SELECT d.id, coalesce(c.title, d.link_text), c.agency, c.text, {SQLITE_TAGS}
      FROM documents d JOIN contents c ON c.sha256 = d.current_sha256 WHERE {doc_filter};
    """


SQLITE_DDL = [
    "CREATE VIRTUAL TABLE search_fts USING fts5(title, agency, body, tags, tokenize='trigram')",
    f"""CREATE TRIGGER search_documents_ai AFTER INSERT ON documents BEGIN
        {sqlite_insert("d.id = new.id")}
    END""",
    f"""CREATE TRIGGER search_documents_au
        AFTER UPDATE OF current_sha256, is_report, link_text, url, portal_id ON documents BEGIN
        DELETE FROM search_meta WHERE doc_id = old.id;
        DELETE FROM search_fts WHERE rowid = old.id;
        {sqlite_insert("d.id = new.id")}
    END""",
    """CREATE TRIGGER search_documents_ad AFTER DELETE ON documents BEGIN
        DELETE FROM search_meta WHERE doc_id = old.id;
        DELETE FROM search_fts WHERE rowid = old.id;
    END""",
    f"""CREATE TRIGGER search_contents_au
        AFTER UPDATE OF title, agency, year, format, published, text, record ON contents BEGIN
        DELETE FROM search_meta WHERE doc_id IN (SELECT id FROM documents WHERE current_sha256 = new.sha256);
        DELETE FROM search_fts WHERE rowid IN (SELECT id FROM documents WHERE current_sha256 = new.sha256);
        {sqlite_insert("d.current_sha256 = new.sha256")}
    END""",
]

# ------------------------------------------------------------------------------ PostgreSQL
# PostgreSQL: every distinct character bigram of title, agency and body (lower-cased, whitespace
# removed) as the lexemes of a tsvector with a GIN index. A term of 2+ characters is the AND of
# its bigrams: answered from the index alone (no recheck of 3 KB bodies, which is what makes
# LIKE '%…%' slow at 50,000 reports even with pg_trgm); the page of hits is then verified as an
# exact substring.
PG_FUNCTIONS = [
    # one pass over the characters (substr(s, i, 2) would rescan the UTF-8 string for every i)
    """CREATE OR REPLACE FUNCTION search_bigrams(t text) RETURNS tsvector AS $$
      SELECT coalesce(array_to_tsvector(array_agg(DISTINCT g)), ''::tsvector)
      FROM (SELECT ch || lead(ch) OVER (ORDER BY i) AS g
            FROM unnest(regexp_split_to_array(
                   regexp_replace(lower(left(coalesce(t, ''), 200000)), '\\s+', '', 'g'), '')) WITH ORDINALITY AS u(ch, i)
           ) x
      WHERE g IS NOT NULL AND length(g) = 2
    $$ LANGUAGE sql IMMUTABLE""",
    """CREATE OR REPLACE FUNCTION search_refresh_document(doc integer) RETURNS void AS $$
    BEGIN
      DELETE FROM search_meta WHERE doc_id = doc;
      INSERT INTO search_meta(doc_id, portal_id, url, title, agency, year, format, published, is_report, failed,
                              body, grams)
        SELECT d.id, d.portal_id, d.url, coalesce(c.title, d.link_text), c.agency, c.year, c.format,
               c.published, d.is_report,
               (SELECT count(*) FROM jsonb_array_elements(
                    CASE WHEN jsonb_typeof(c.record -> 'checks') = 'array' THEN c.record -> 'checks'
                         ELSE '[]'::jsonb END) e
                WHERE e ->> 'status' = 'fail'),
               c.text,
               search_bigrams(coalesce(c.title, d.link_text, '') || ' ' || coalesce(c.agency, '') || ' '
                              || coalesce(c.text, ''))
        FROM documents d JOIN contents c ON c.sha256 = d.current_sha256 WHERE d.id = doc;
    END $$ LANGUAGE plpgsql""",
    """CREATE OR REPLACE FUNCTION search_documents_trg() RETURNS trigger AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        DELETE FROM search_meta WHERE doc_id = OLD.id;
        RETURN OLD;
      END IF;
      PERFORM search_refresh_document(NEW.id);
      RETURN NEW;
    END $$ LANGUAGE plpgsql""",
    """CREATE OR REPLACE FUNCTION search_contents_trg() RETURNS trigger AS $$
    DECLARE r record;
    BEGIN
      FOR r IN SELECT id FROM documents WHERE current_sha256 = NEW.sha256 LOOP
        PERFORM search_refresh_document(r.id);
      END LOOP;
      RETURN NEW;
    END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER search_documents_aiud
       AFTER INSERT OR DELETE OR UPDATE OF current_sha256, is_report, link_text, url, portal_id ON documents
       FOR EACH ROW EXECUTE FUNCTION search_documents_trg()""",
    """CREATE TRIGGER search_contents_au
       AFTER UPDATE OF title, agency, year, format, published, text, record ON contents
       FOR EACH ROW EXECUTE FUNCTION search_contents_trg()""",
]


SQLITE_TRIGGERS = ("search_documents_ai", "search_documents_au", "search_documents_ad", "search_contents_au")


def ensure_index(s: Session) -> bool:
    """Recreate missing SQLite search triggers (and refill the index); True if it repaired.

    SQLite migrations that rebuild ``documents`` or ``contents`` (Alembic batch mode copies the
    table) drop the triggers defined on them; writes made meanwhile are then missing from the
    index, so a repair also rebuilds it.
    """
    if s.get_bind().dialect.name != "sqlite":
        return False
    names = {r[0] for r in s.execute(text(
        "SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger') AND name LIKE 'search_%'"))}
    if "search_fts" not in names:
        return False
    fts_cols = [r[1] for r in s.execute(text("PRAGMA table_info(search_fts)"))]
    if fts_cols == ["title", "agency", "body", "tags"] and all(t in names for t in SQLITE_TRIGGERS):
        return False
    if fts_cols != ["title", "agency", "body", "tags"]:  # an index built by an earlier draft of 0004
        for t in SQLITE_TRIGGERS:
            s.execute(text(f"DROP TRIGGER IF EXISTS {t}"))
        s.execute(text("DROP TABLE search_fts"))
        s.execute(text(SQLITE_DDL[0]))
        names -= set(SQLITE_TRIGGERS)
    for stmt in SQLITE_DDL[1:]:
        name = stmt.split("TRIGGER", 1)[1].split()[0]
        if name not in names:
            s.execute(text(stmt))
    rebuild(s)
    return True


@dataclass
class SearchFilters:
    year: int | None = None
    portal: str | None = None
    format: str | None = None
    failed: bool = False  # only reports with at least one failed check
    reports_only: bool = False


@dataclass
class SearchHit:
    doc_id: int
    portal_id: str
    url: str
    title: str | None
    agency: str | None
    year: int | None
    format: str | None
    published: str | None
    is_report: bool
    failed: int
    snippet: str = ""  # plain text; the matched terms are wrapped in \x01 … \x02


@dataclass
class SearchResult:
    query: str
    terms: list[str]
    total: int  # capped at ``cap``: total > cap - 1 means "at least"
    capped: bool
    hits: list[SearchHit] = field(default_factory=list)


def split_terms(q: str) -> list[str]:
    return [t for t in (q or "").split() if t][:8]


def pg_bigrams(term: str) -> list[str]:
    """The distinct bigrams of a term, as ``search_bigrams`` makes them (PostgreSQL)."""
    s = "".join(term.lower().split())
    return sorted({s[i:i + 2] for i in range(len(s) - 1)})


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _filters_sql(f: SearchFilters, params: dict) -> list[str]:
    where = []
    if f.year is not None:
        where.append("m.year = :year")
        params["year"] = f.year
    if f.portal:
        where.append("m.portal_id = :portal")
        params["portal"] = f.portal
    if f.format:
        where.append("m.format = :format")
        params["format"] = f.format
    if f.failed:
        where.append("m.failed > 0 AND m.is_report")
    if f.reports_only:
        where.append("m.is_report")
    return where


def make_snippet(body: str | None, terms: list[str], width: int = 60) -> str:
    body = " ".join((body or "").split())
    if not body:
        return ""
    pos = -1
    for t in terms:
        pos = body.find(t)
        if pos >= 0:
            break
    start = max(0, pos - width // 2) if pos >= 0 else 0
    piece = body[start:start + width * 2]
    for t in sorted(set(terms), key=len, reverse=True):
        piece = piece.replace(t, "\x01" + t + "\x02")
    return ("…" if start > 0 else "") + piece + ("…" if start + width * 2 < len(body) else "")


def search(s: Session, q: str, filters: SearchFilters | None = None, *, limit: int = 20,
           offset: int = 0, cap: int = 1000) -> SearchResult:
    f = filters or SearchFilters()
    terms = split_terms(q)
    dialect = s.get_bind().dialect.name
    params: dict = {"limit": limit, "offset": offset, "cap": cap}
    where = _filters_sql(f, params)
    cols = ("m.doc_id, m.portal_id, m.url, m.title, m.agency, m.year, m.format, m.published, "
            "m.is_report, m.failed")
    order = "m.year DESC, m.doc_id DESC"
    if dialect == "sqlite":
        long_terms = [t for t in terms if len(t) >= MIN_INDEXED_TERM]
        for i, t in enumerate(terms):
            if len(t) < MIN_INDEXED_TERM:
                params[f"t{i}"] = _like(t)
                where.append(f"(m.title LIKE :t{i} ESCAPE '\\' OR m.agency LIKE :t{i} ESCAPE '\\')")
        if long_terms:
            tags = []
            if f.year is not None:
                tags.append(f"Y{int(f.year)}Y")
            if f.portal:
                tags.append(f"P{f.portal}P")
            if f.format:
                tags.append(f"F{f.format}F")
            if f.failed:
                tags.append("FAILX")
            if f.reports_only:
                tags.append("RPTX")
            # the user's terms are looked up in title, agency and body only, never in the tags
            params["match"] = " AND ".join(['{title agency body} : "' + t.replace('"', '""') + '"' for t in long_terms]
                                           + ['tags:"' + t.replace('"', '""') + '"' for t in tags])
            # CROSS JOIN keeps the FTS match as the outer loop (SQLite would otherwise probe the
            # FTS index once per metadata row when a filter column is indexed)
            source = "search_fts CROSS JOIN search_meta m ON m.doc_id = search_fts.rowid"
            where.insert(0, "search_fts MATCH :match")
            order = "search_fts.rank"  # bm25; replaced by newest-first below for very broad queries
        else:
            source = "search_meta m"
        bodies_sql = "SELECT rowid, body FROM search_fts WHERE rowid IN ({ids})"
    else:
        source = "search_meta m"
        bodies_sql = "SELECT doc_id, body FROM search_meta WHERE doc_id IN ({ids})"
        for i, t in enumerate(terms):
            grams = pg_bigrams(t)
            if grams:
                params[f"g{i}"] = " & ".join("'" + g.replace("'", "''").replace("\\", "\\\\") + "'"
                                             for g in grams)
                where.append(f"m.grams @@ CAST(:g{i} AS tsquery)")
            else:  # one character: titles and agencies
                params[f"t{i}"] = _like(t)
                where.append(f"(m.title LIKE :t{i} OR m.agency LIKE :t{i})")
    where_sql = (" WHERE " + " AND ".join(where)) if where else ""

    def count() -> int:
        return s.execute(
            text(f"SELECT count(*) FROM (SELECT 1 FROM {source}{where_sql} LIMIT :cap) AS capped"), params
        ).scalar_one()

    def page(order: str):
        return s.execute(
            text(f"SELECT {cols} FROM {source}{where_sql} ORDER BY {order} LIMIT :limit OFFSET :offset"), params
        ).all()

    if order == "search_fts.rank":
        total = count()
        if total >= cap:
            # Ranking every match of a term found in (nearly) all reports costs ~1 s at 50,000
            # reports; FTS5 walks its matches in rowid order cheaply: broad queries list newest first.
            order = "search_fts.rowid DESC"
        rows = page(order)
    elif dialect != "sqlite" and terms:
        total = count()
        if total >= cap:
            # as on SQLite: broad terms list newest first, which walks the primary key backwards
            # and stops after one page instead of sorting every match by year
            rows = page("m.doc_id DESC")
        elif total == 0:
            rows = []
        else:
            # fewer than ``cap`` matches: collect them from the indexes (no ORDER BY, or the planner
            # walks the primary key testing every row), then sort that small set
            rows = s.execute(text(
                f"WITH hits AS MATERIALIZED (SELECT {cols} FROM {source}{where_sql} LIMIT :cap) "
                f"SELECT * FROM hits m ORDER BY {order} LIMIT :limit OFFSET :offset"), params).all()
    else:
        rows = page(order)
        # a first page that is not full already tells the total
        total = len(rows) if offset == 0 and len(rows) < limit else count()
    # bodies (for the snippets) only for the page of hits: joining them in the ranked or sorted
    # query would read every matching body
    ids = [int(r[0]) for r in rows]
    bodies = dict(s.execute(text(bodies_sql.format(ids=",".join(map(str, ids))))).all()) if ids else {}
    if dialect != "sqlite":
        # bigram AND is a superset of substring match: keep only the hits that contain each term
        def contains(m) -> bool:
            hay = " ".join(str(x or "") for x in (m["title"], m["agency"], bodies.get(m["doc_id"]))).lower()
            return all(t.lower() in hay for t in terms)

        complete = offset == 0 and len(rows) < limit
        rows = [r for r in rows if contains(r._mapping)]
        if complete:
            total = len(rows)  # larger totals count bigram matches (a slight over-count at worst)
    hits = []
    for r in rows:
        m = r._mapping
        hits.append(SearchHit(
            doc_id=m["doc_id"], portal_id=m["portal_id"], url=m["url"], title=m["title"],
            agency=m["agency"], year=m["year"], format=m["format"], published=m["published"],
            is_report=bool(m["is_report"]), failed=m["failed"] or 0,
            snippet=make_snippet(bodies.get(m["doc_id"]), terms),
        ))
    return SearchResult(query=q, terms=terms, total=total, capped=total >= cap, hits=hits)


def facets(s: Session) -> dict:
    """Values for the filter menus: years, portals and formats present in the index."""
    years = [r[0] for r in s.execute(text(
        "SELECT DISTINCT year FROM search_meta WHERE year IS NOT NULL ORDER BY year DESC"))]
    portals = [r[0] for r in s.execute(text("SELECT DISTINCT portal_id FROM search_meta ORDER BY portal_id"))]
    formats = [r[0] for r in s.execute(text(
        "SELECT DISTINCT format FROM search_meta WHERE format IS NOT NULL ORDER BY format"))]
    return {"years": years, "portals": portals, "formats": formats}


def rebuild(s: Session) -> int:
    """Recreate every index row from documents and contents (the triggers do this per write)."""
    dialect = s.get_bind().dialect.name
    if dialect == "sqlite":
        s.execute(text("DELETE FROM search_meta"))
        s.execute(text("DELETE FROM search_fts"))
        s.execute(text("UPDATE documents SET current_sha256 = current_sha256 WHERE current_sha256 IS NOT NULL"))
    else:
        s.execute(text("SELECT search_refresh_document(id) FROM documents WHERE current_sha256 IS NOT NULL"))
    return s.execute(text("SELECT count(*) FROM search_meta")).scalar_one()
