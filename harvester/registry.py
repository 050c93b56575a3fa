"""The portal registry: which government sites to harvest.

A TOML file of ``[[portal]]`` tables::

    [[portal]]
    id = "meizhou"                       # letters, digits, - and _
    name = "梅州市人民政府"
    url = "https://www.meizhou.gov.cn/"  # the homepage
    columns = ["https://…/gknb/"]        # optional: annual-report columns, skips discovery
    family = "trs"                       # optional: a name of spiders.families (trs, hanweb, gkmlpt, generic)
    hosts = ["xxgk.meizhou.gov.cn"]      # optional: more host names of the portal (redirects are followed there)
    robots = "ignore"                    # optional: "obey" (default) or "ignore" …
    robots_reason = "…"                  # … which needs the reason, recorded on the portal row

Every problem is reported with the file, the entry and the field. A UTF-8 byte-order mark is
accepted; names, URLs and reasons have a maximum length (``MAX_NAME`` …).
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from spiders.families import NAMES as FAMILIES

DEFAULT_REGISTRY = Path(__file__).with_name("portals.toml")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_KNOWN = {"id", "name", "url", "columns", "family", "robots", "robots_reason", "hosts"}
_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$")
ROBOTS_POLICIES = ("obey", "ignore")
# Longest values accepted (characters): a name is stored in a 200-character column.
MAX_NAME = 200
MAX_URL = 2048
MAX_COLUMNS = 200
MAX_REASON = 1000


def _show(value: object, limit: int = 60) -> str:
    """A value for an error message: its repr, cut short when long (a 30 MB name stays one line)."""
    text = repr(value)
    if len(text) <= limit:
        return text
    size = f"{len(value)} characters" if isinstance(value, str) else type(value).__name__
    return f"{text[:limit]}… ({size})"


def _check_length(where: str, field_name: str, value: str, limit: int) -> None:
    if len(value) > limit:
        raise RegistryError(f"{where}: field {field_name!r} is {len(value)} characters long; at most {limit} allowed "
                            f"(starts {_show(value[:40])})")


class RegistryError(ValueError):
    """The registry cannot be used; the message names the file, entry and field."""


@dataclass(frozen=True)
class PortalEntry:
    id: str
    name: str
    url: str
    columns: tuple[str, ...] = field(default_factory=tuple)
    family: str | None = None
    robots: str = "obey"
    robots_reason: str | None = None
    hosts: tuple[str, ...] = field(default_factory=tuple)  # more host names of the portal

    def spider_kwargs(self) -> dict:
        """The per-portal spider arguments beyond id, url and columns."""
        out = {"robots": self.robots, "robots_reason": self.robots_reason}
        if self.hosts:
            out["hosts"] = list(self.hosts)
        return out


def _is_http_url(value: object) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def parse_registry(text: str, source: str = "<registry>") -> list[PortalEntry]:
    # Editors on Windows save UTF-8 with a byte-order mark: it is not part of the content.
    text = text.removeprefix("\ufeff")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RegistryError(f"{source}: not valid TOML: {exc}") from None
    unknown_top = set(data) - {"portal"}
    if unknown_top:
        raise RegistryError(f"{source}: unknown top-level key(s) {sorted(unknown_top)}; expected [[portal]] tables")
    tables = data.get("portal", [])
    if not isinstance(tables, list) or not tables:
        raise RegistryError(f"{source}: no [[portal]] entries")
    entries: list[PortalEntry] = []
    seen: dict[str, int] = {}
    for n, t in enumerate(tables, start=1):
        where = f"{source}: portal #{n}"
        if isinstance(t, dict) and isinstance(t.get("id"), str):
            where += f" (id {_show(t['id'])})"
        if not isinstance(t, dict):
            raise RegistryError(f"{where}: must be a table")
        extra = set(t) - _KNOWN
        if extra:
            raise RegistryError(f"{where}: unknown field(s) {sorted(extra)}; allowed: {sorted(_KNOWN)}")
        pid = t.get("id")
        if not isinstance(pid, str) or not _ID.match(pid):
            raise RegistryError(f"{where}: field 'id' must be 1-64 letters, digits, '-' or '_', got {_show(pid)}")
        if pid in seen:
            raise RegistryError(f"{where}: field 'id' duplicates portal #{seen[pid]}")
        seen[pid] = n
        name = t.get("name")
        if not isinstance(name, str) or not name.strip():
            raise RegistryError(f"{where}: field 'name' must be a non-empty string, got {_show(name)}")
        _check_length(where, "name", name.strip(), MAX_NAME)
        url = t.get("url")
        if isinstance(url, str):
            _check_length(where, "url", url, MAX_URL)
        if not _is_http_url(url):
            raise RegistryError(f"{where}: field 'url' must be an http(s) URL of the homepage, got {_show(url)}")
        columns = t.get("columns", [])
        if not isinstance(columns, list):
            raise RegistryError(f"{where}: field 'columns' must be a list of URLs, got {_show(columns)}")
        if len(columns) > MAX_COLUMNS:
            raise RegistryError(f"{where}: field 'columns' has {len(columns)} URLs; at most {MAX_COLUMNS} allowed")
        for c in columns:
            if isinstance(c, str):
                _check_length(where, "columns", c, MAX_URL)
            if not _is_http_url(c):
                raise RegistryError(f"{where}: field 'columns' has {_show(c)}, which is not an http(s) URL")
        family = t.get("family")
        if family is not None and family not in FAMILIES:
            raise RegistryError(f"{where}: field 'family' must be one of {', '.join(FAMILIES)}, got {_show(family)}")
        robots, robots_reason = _robots_fields(t, where)
        hosts = t.get("hosts", [])
        if not isinstance(hosts, list):
            raise RegistryError(f"{where}: field 'hosts' must be a list of host names, got {hosts!r}")
        for h in hosts:
            if not isinstance(h, str) or not _HOST.match(h) or ".." in h:
                raise RegistryError(f"{where}: field 'hosts' has {h!r}, which is not a host name (like \"xxgk.example.gov.cn\")")
        entries.append(PortalEntry(pid, name.strip(), url, tuple(columns), family, robots, robots_reason,
                                   tuple(h.lower() for h in hosts)))
    return entries


def _robots_fields(t: dict, where: str) -> tuple[str, str | None]:
    robots = t.get("robots", "obey")
    if robots not in ROBOTS_POLICIES:
        raise RegistryError(f"{where}: field 'robots' must be one of {', '.join(ROBOTS_POLICIES)}, got {_show(robots)}")
    reason = t.get("robots_reason")
    if reason is not None and not isinstance(reason, str):
        raise RegistryError(f"{where}: field 'robots_reason' must be a string, got {_show(reason)}")
    if reason is not None:
        _check_length(where, "robots_reason", reason.strip(), MAX_REASON)
    reason = reason.strip() if reason else None
    if robots == "ignore" and not reason:
        raise RegistryError(f"{where}: field 'robots_reason' is required when robots = \"ignore\" (it is recorded)")
    return robots, reason


def load_registry(path: Path) -> list[PortalEntry]:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise RegistryError(f"{path}: portal registry not found") from None
    except OSError as exc:
        raise RegistryError(f"{path}: cannot read portal registry: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")  # a byte-order mark (Windows editors) is accepted
    except UnicodeDecodeError as exc:
        raise RegistryError(f"{path}: not UTF-8 (byte {exc.start}); save the registry as UTF-8") from None
    return parse_registry(text, str(path))


def select(entries: list[PortalEntry], ids: list[str]) -> list[PortalEntry]:
    by_id = {e.id: e for e in entries}
    unknown = [i for i in ids if i not in by_id]
    if unknown:
        raise RegistryError(
            f"unknown portal id(s): {', '.join(unknown)} (registry has: {', '.join(sorted(by_id))})"
        )
    return [by_id[i] for i in ids]
