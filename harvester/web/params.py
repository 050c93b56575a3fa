"""Query parameters that the pages and the API read alike (empty means no filter)."""
from __future__ import annotations

from harvester.web import compliance
from storage import search as search_index
from storage.database import Database


def to_int(v: str | None) -> int | None:
    """A query parameter that may be empty or not a number (then no filter)."""
    try:
        return int(v) if v not in (None, "") else None
    except ValueError:
        return None


def search_filters(year, portal, fmt, failed, reports) -> search_index.SearchFilters:
    return search_index.SearchFilters(year=to_int(year), portal=portal or None, format=fmt or None,
                                      failed=bool(failed), reports_only=bool(reports))


def compliance_matrix(db: Database, portal: str, agency: str, year_from: str, year_to: str, status: str) -> dict:
    return compliance.compliance(db, portal=portal or None, agency=agency or None, year_from=to_int(year_from),
                                 year_to=to_int(year_to), status=status or None)
