"""The archive browser of xxgk-harvester (FastAPI + Jinja2, works without JavaScript).

    from harvester.web import create_app, serve_browser
    app = create_app(cfg, recrawl=None)      # an ASGI app
    serve_browser(cfg, host="127.0.0.1", port=8000)
"""
from harvester.web.app import create_app, serve_browser

__all__ = ["create_app", "serve_browser"]
