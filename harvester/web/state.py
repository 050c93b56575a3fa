"""What the browser's routes share: the store, the settings, the caches and the templates,
handed to each route as FastAPI dependencies (``st: State``, ``db: DB``)."""
from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from harvester.config import WebConfig
from harvester.web import charts, layout
from harvester.web.compliance import COMPLIANCE_LABELS
from storage import search as search_index
from storage.database import Database

HERE = Path(__file__).parent
Recrawl = Callable[[str, bool], dict]

INDEX_CHECK_SECONDS = 30
CACHE_SECONDS = 60


@dataclass
class WebState:
    db: Database
    archive_dir: Path
    config: WebConfig
    recrawl: Recrawl | None = None  # ``recrawl(portal_id, full) -> dict``; None: no action
    _index_checked: float = field(default_factory=time.monotonic)
    _facets: tuple[float, dict] | None = None
    _charts: dict = field(default_factory=dict)

    @property
    def actions(self) -> bool:
        return self.recrawl is not None

    def check_index(self) -> None:
        """Repair the search triggers if a later migration dropped them (at most every 30 s)."""
        if time.monotonic() - self._index_checked > INDEX_CHECK_SECONDS:
            self._index_checked = time.monotonic()
            with self.db.session() as s:
                search_index.ensure_index(s)

    def facets(self) -> dict:
        """Filter menu values (years, portals, formats), recomputed at most once a minute."""
        now = time.monotonic()
        if self._facets is None or now - self._facets[0] > CACHE_SECONDS:
            with self.db.session() as s:
                self._facets = (now, search_index.facets(s))
        return self._facets[1]

    def chart_numbers(self, portal: str | None) -> dict:
        """The charts' numbers, recomputed at most once a minute per portal."""
        now = time.monotonic()
        hit = self._charts.get(portal)
        if hit is None or now - hit[0] > CACHE_SECONDS:
            if len(self._charts) > 256:
                self._charts.clear()
            hit = self._charts[portal] = (now, charts.chart_data(self.db, portal))
        return hit[1]


def get_state(request: Request) -> WebState:
    return request.app.state.web


def get_db(st: Annotated[WebState, Depends(get_state)]) -> Database:
    return st.db


State = Annotated[WebState, Depends(get_state)]
DB = Annotated[Database, Depends(get_db)]


# ------------------------------------------------------------------------------ templates
def fmt_time(value) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _mark(snippet: str) -> Markup:
    """Escape a snippet, then turn the \\x01 … \\x02 markers into <mark>."""
    out = str(escape(snippet or ""))
    return Markup(out.replace("\x01", "<mark>").replace("\x02", "</mark>"))


def _templates() -> Jinja2Templates:
    t = Jinja2Templates(directory=str(HERE / "templates"))
    t.env.filters.update(time=fmt_time, mark=_mark, num=layout.fmt_num, operands=layout.fmt_operands,
                         q=lambda s: quote(str(s), safe=""))
    t.env.globals.update(
        RULE_NAMES=layout.RULE_NAMES, STATUS_LABELS=layout.STATUS_LABELS, STATUS_MARKS=layout.STATUS_MARKS,
        FORMAT_LABELS=layout.FORMAT_LABELS, COMPLIANCE_LABELS=COMPLIANCE_LABELS, place_label=layout.place_label,
    )
    return t


TEMPLATES = _templates()


def render(request: Request, name: str, ctx: dict, status: int = 200) -> HTMLResponse:
    ctx = {"request": request, "actions": get_state(request).actions, **ctx}
    return TEMPLATES.TemplateResponse(request, name, ctx, status_code=status)


def message(request: Request, title: str, text: str, status: int) -> HTMLResponse:
    return render(request, "message.html", {"title": title, "text": text}, status)
