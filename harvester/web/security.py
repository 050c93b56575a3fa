"""Who may see the browser and act through it, and the headers every answer carries.

- Optional access control (``HARVESTER_WEB_ACCESS_TOKEN``: bearer token, or ``?access_token=``
  once, which sets a cookie; ``HARVESTER_WEB_BASIC_AUTH``: ``user:password``).
- The recrawl action needs the action token (``HARVESTER_WEB_TOKEN``), and from a form also a
  CSRF cookie matching the form field and a same-origin request.
- Our pages get a strict CSP; archived bytes (``/replay/``, ``/raw/``) get the replay headers
  (sandbox CSP) whatever the answer.
"""
from __future__ import annotations

import base64
import hmac
from urllib.parse import quote, urlsplit

from fastapi import Request
from fastapi.responses import PlainTextResponse, RedirectResponse

from harvester.config import WebConfig
from harvester.web.replay import REPLAY_HEADERS
from harvester.web.state import WebState, get_state

PAGE_CSP = (
    "default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; frame-src 'self'; "
    "frame-ancestors 'self'; form-action 'self'; img-src 'self' data:; style-src 'self'"
)
CSRF_COOKIE = "xxgk_csrf"
ACCESS_COOKIE = "xxgk_access"
ARCHIVED_PREFIXES = ("/replay/", "/raw/")


async def guard(request: Request, call_next):
    """The HTTP middleware: access control first, then the security headers."""
    cfg = get_state(request).config
    path = request.url.path
    if (cfg.access_token or cfg.basic_auth) and not access_ok(request, cfg):
        given = request.query_params.get("access_token")
        if cfg.access_token and given and same_secret(given, cfg.access_token):
            resp = RedirectResponse(path, status_code=303)
            resp.set_cookie(ACCESS_COOKIE, cookie_value(cfg.access_token), httponly=True, samesite="strict")
            return resp
        headers = {"WWW-Authenticate": 'Basic realm="xxgk-harvester", charset="UTF-8"'} if cfg.basic_auth else {}
        return PlainTextResponse("需要登录 (authentication required)", status_code=401, headers=headers)
    response = await call_next(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if path.startswith(ARCHIVED_PREFIXES):
        for k, v in REPLAY_HEADERS.items():
            response.headers[k] = v
    else:
        response.headers.setdefault("Content-Security-Policy", PAGE_CSP)
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    return response


def same_secret(given: str | None, expected: str | None) -> bool:
    """Constant-time comparison of two secrets of any characters (``hmac.compare_digest`` on
    ``str`` raises TypeError for non-ASCII text: that was a 500 instead of a 401/403)."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass"))


def header_secret(value: str, expected: str) -> bool:
    """A secret from a request header: Starlette decodes header bytes as Latin-1, so a UTF-8
    token sent as raw bytes arrives as Latin-1 text; compare the bytes as sent."""
    try:
        sent = value.encode("latin-1")
    except UnicodeEncodeError:
        sent = value.encode("utf-8", "surrogatepass")
    return hmac.compare_digest(sent, expected.encode("utf-8", "surrogatepass")) or same_secret(value, expected)


def cookie_value(token: str) -> str:
    """The access cookie's value: the token percent-encoded (a cookie value is ASCII)."""
    return quote(token, safe="")


def access_ok(request: Request, cfg: WebConfig) -> bool:
    auth = request.headers.get("authorization", "")
    if cfg.access_token:
        if auth.lower().startswith("bearer ") and header_secret(auth[7:].strip(), cfg.access_token):
            return True
        cookie = request.cookies.get(ACCESS_COOKIE)
        if cookie and (same_secret(cookie, cookie_value(cfg.access_token)) or same_secret(cookie, cfg.access_token)):
            return True
    if cfg.basic_auth and auth.lower().startswith("basic "):
        try:
            given = base64.b64decode(auth[6:].strip()).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return False
        return hmac.compare_digest(given.encode(), cfg.basic_auth.encode())
    return False


def action_allowed(st: WebState, given: str) -> tuple[bool, int, str]:
    """May a recrawl run with this token: (allowed, HTTP status if not, why not)."""
    if st.recrawl is None:
        return False, 503, "重新采集功能未启用 (recrawl is not configured in this deployment)."
    if not st.config.token:
        return False, 403, "未设置操作令牌 HARVESTER_WEB_TOKEN，所有操作均已禁用 (read-only)."
    if not given or not header_secret(given, st.config.token):
        return False, 403, "操作令牌错误 (invalid token)."
    return True, 200, ""


def form_allowed(request: Request, st: WebState, token: str, csrf: str) -> tuple[bool, int, str]:
    """A recrawl from the portal page's form: the token, then the CSRF cookie and the origin."""
    ok, status, why = action_allowed(st, token)
    if ok:
        cookie = request.cookies.get(CSRF_COOKIE) or ""
        if not (cookie and csrf and same_secret(cookie, csrf)) or not same_origin(request):
            return False, 403, "CSRF 校验失败：请从门户页面重新提交。"
    return ok, status, why


def same_origin(request: Request) -> bool:
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin or origin == "null":
        return origin != "null"
    return urlsplit(origin).netloc == request.headers.get("host", "")
