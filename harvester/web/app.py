"""The archive browser: FastAPI, server-rendered Jinja2 pages (no JavaScript), JSON API under /api/."""
from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from harvester.config import Config, WebConfig
from harvester.web import api, pages, replay_routes
from harvester.web.queries import ArchiveUnreadable, NotFound
from harvester.web.security import guard
from harvester.web.state import HERE, Recrawl, WebState, message
from storage import search as search_index
from storage.database import Database, open_database


def create_app(cfg: Config | None = None, *, db: Database | None = None, archive_dir: Path | str | None = None,
               recrawl: Recrawl | None = None, token: str | None = None, access_token: str | None = None,
               basic_auth: str | None = None) -> FastAPI:
    """The archive browser for the store of ``cfg`` (or of ``db`` and ``archive_dir``).

    ``recrawl(portal_id, full) -> dict`` performs a recrawl; without it the action is hidden and
    its endpoints answer 503. The action token and the optional access control come from
    ``cfg.web`` (without ``cfg``: from the environment, :meth:`WebConfig.from_env`); ``token``,
    ``access_token`` and ``basic_auth`` override them ("" turns one off).
    """
    if db is None:
        if cfg is None:
            raise ValueError("create_app needs a Config or a Database")
        db = open_database(cfg.db_url)
    if archive_dir is None:
        if cfg is None:
            raise ValueError("create_app needs archive_dir when given a Database")
        archive_dir = cfg.archive_dir
    web = cfg.web if cfg is not None else WebConfig.from_env()
    web = WebConfig(token=(web.token if token is None else token) or None,
                    access_token=(web.access_token if access_token is None else access_token) or None,
                    basic_auth=(web.basic_auth if basic_auth is None else basic_auth) or None)
    app = FastAPI(
        title="xxgk-harvester 存档浏览 API",
        description="政府信息公开工作年度报告存档：门户、报告、采集记录、检索、合规矩阵。只读；重新采集需令牌。",
        version="1",
        openapi_url="/api/openapi.json", docs_url=None, redoc_url=None,
    )
    app.state.web = WebState(db=db, archive_dir=Path(archive_dir), config=web, recrawl=recrawl)
    with db.session() as s:
        search_index.ensure_index(s)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.middleware("http")(guard)
    app.add_exception_handler(NotFound, _error_handler(404, "未找到"))
    app.add_exception_handler(ArchiveUnreadable, _error_handler(500, "存档无法读取"))
    app.include_router(pages.router)
    app.include_router(replay_routes.router)
    app.include_router(api.router)
    return app


def _error_handler(status: int, title: str):
    """An expected failure as a page (or JSON under /api/) naming what is wrong, not a traceback."""
    async def handle(request: Request, exc: Exception):
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": str(exc)}, status_code=status)
        return message(request, title, str(exc), status)
    return handle


def serve_browser(cfg: Config, host: str = "127.0.0.1", port: int = 8000, *, recrawl: Recrawl | None = None) -> int:
    """Serve the archive browser until interrupted (``harvester serve``, end of ``harvester demo``)."""
    import uvicorn

    app = create_app(cfg, recrawl=recrawl)
    print(f"archive browser: http://{host}:{port}/  (Ctrl-C to stop)", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
    return 0
